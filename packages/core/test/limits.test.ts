// The connection limits' defaults and validation, the head-size count, and the accept-error reporter's bursts (one
// line per burst, one when it ends). The runtimes' own behaviour is tested by packages/conformance/test/limits.test.ts.

import { describe, expect, it } from "vitest";
import { acceptErrorReporter, outOfFiles } from "../src/accept-errors.ts";
import { connectionLimits, headersTooLarge, requestHeadSize } from "../src/limits.ts";
import { recordingLogger } from "./helpers.ts";

describe("connectionLimits", () => {
  it("fills in the documented defaults and keeps given values", () => {
    expect(connectionLimits({})).toEqual({ keepAliveTimeout: 5_000, headersTimeout: 10_000, writeTimeout: 30_000, maxHeaderSize: 16_384, backlog: 2048 });
    expect(connectionLimits({ keepAliveTimeout: 1_500, backlog: 10 })).toMatchObject({ keepAliveTimeout: 1_500, backlog: 10 });
  });
  it("refuses a value that is not positive, naming it", () => {
    expect(() => connectionLimits({ writeTimeout: 0 })).toThrow("writeTimeout must be a positive number, got 0");
    expect(() => connectionLimits({ maxHeaderSize: Number.NaN })).toThrow(/maxHeaderSize/);
  });
});

describe("requestHeadSize", () => {
  it("counts the request line, each header line and the empty line as sent", () => {
    const request = new Request("http://a.test/path?q=1", { headers: { host: "a.test", "x-pad": "abc" } });
    const wire = "GET /path?q=1 HTTP/1.1\r\nhost: a.test\r\nx-pad: abc\r\n\r\n";
    expect(requestHeadSize(request)).toBe(wire.length);
  });
  it("headersTooLarge is a 431 naming the limit", () => {
    expect(headersTooLarge(8192)).toMatchObject({ status: 431, code: "headers_too_large", details: { maxHeaderSize: 8192 } });
  });
});

describe("acceptErrorReporter", () => {
  it("logs the first error of a burst, counts the rest, and says when the burst ended", async () => {
    const logger = recordingLogger();
    const report = acceptErrorReporter(logger, 50);
    const emfile = Object.assign(new Error("accept EMFILE"), { code: "EMFILE" });
    for (let i = 0; i < 100; i++) report(emfile);
    expect(logger.records).toHaveLength(1);
    expect(logger.records[0]).toMatchObject({ level: "error", message: expect.stringContaining("cannot accept connections: EMFILE") });
    await new Promise((r) => setTimeout(r, 120));
    expect(logger.records[1]).toMatchObject({ level: "info", message: "accepting connections again", fields: { acceptErrors: 100 } });
    report(new Error("Too many open files (os error 24)"));
    expect(logger.records).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 120));
  });
  it("tells running out of file descriptors from other accept errors", () => {
    expect(outOfFiles({ code: "EMFILE" })).toBe(true);
    expect(outOfFiles(new Error("Too many open files (os error 24)"))).toBe(true);
    expect(outOfFiles({ code: "ECONNABORTED" })).toBe(false);
  });
});
