// The lines /stream-text sends, shared by the app that sends them and the suite that checks what arrived:
// ASCII, 2- and 4-byte characters and lone surrogates, so every way an adapter encodes a string chunk is crossed.

/** Line i: from 9 to about 230 bytes; every 11th carries a lone surrogate (sent as U+FFFD, as TextEncoder does). */
export function textLine(i: number): string {
  return `line ${i} ${"\u00e9".repeat(i % 7)}${"\u{1F600}".repeat(i % 3)}${i % 11 === 0 ? "\ud800" : ""}${"x".repeat((i * 37) % 200)}\n`;
}
