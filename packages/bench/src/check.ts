// The correctness check before any timing: one request per target and scenario, its status, content type and
// body compared with what the demo view answers. A target that answers wrong is excluded from that scenario.

import type { Answer, Scenario } from "./scenarios.ts";

/** Sends the scenario's request once; returns why the answer is wrong, or null when it is right. */
export async function checkAnswer(baseUrl: string, scenario: Scenario, timeoutMs = 15_000): Promise<string | null> {
  let answer: Answer;
  try {
    const init: RequestInit = { method: scenario.method, signal: AbortSignal.timeout(timeoutMs) };
    if (scenario.body !== undefined) {
      init.body = scenario.body;
      init.headers = { "content-type": "application/json" };
    }
    const response = await fetch(`${baseUrl}${scenario.path}`, init);
    answer = { status: response.status, contentType: response.headers.get("content-type") ?? "", body: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return `request failed: ${(error as Error).message}${cause ? ` (${cause})` : ""}`;
  }
  return scenario.verify(answer);
}
