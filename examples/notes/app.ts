// A small notes API, the README's "Benchmark your own app" example: list, read and add notes kept in memory.
// Benchmark it: pnpm bench --app examples/notes/app.ts --scenario "GET /notes" --scenario "POST /notes @examples/notes/note.json"

import { App, HttpError, json, readJson } from "@asyncview/core";

interface Note {
  id: number;
  text: string;
}

/** Most notes kept: the oldest are dropped beyond this, so a benchmark's POSTs cannot grow memory without bound. */
export const MAX_NOTES = 1000;
/** Longest note text, characters. */
export const MAX_TEXT = 1000;

const notes: Note[] = [
  { id: 1, text: "buy milk" },
  { id: 2, text: "write the benchmark section" },
];
let nextId = 3;

export const app = new App();

app.get("/notes", () => json({ notes: notes.slice(0, 20), total: notes.length }));

app.get("/notes/:id", (_request, ctx) => {
  const note = notes.find((n) => n.id === Number(ctx.params.id));
  if (!note) throw new HttpError(404, `no note ${ctx.params.id}`, { code: "note_not_found" });
  return json(note);
});

app.post("/notes", async (request) => {
  const body = await readJson(request);
  const text = (body as { text?: unknown } | null)?.text;
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_TEXT) {
    throw new HttpError(400, `"text" must be a string of 1 to ${MAX_TEXT} characters`, { code: "invalid_note" });
  }
  const note = { id: nextId++, text };
  notes.push(note);
  if (notes.length > MAX_NOTES) notes.splice(0, notes.length - MAX_NOTES);
  // The id depends on how many notes came before, so the answer is the note's text alone: the same on every runtime.
  return json({ text: note.text }, { status: 201 });
});

app.get("/health", () => json({ ok: true }));
