/**
 * Paths as the browser sends them: percent-encoded. A segment that is not valid percent-encoding
 * (`%ff`, a cut-off `%E0%A4%A`) decodes to nothing, and Next.js cannot route a path holding one.
 */

/** A path segment as a page's params hold it, decoded; undefined when it is not valid percent-encoding (`%ff`). */
export const decodedPathSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

/** True when every segment of a request's (still encoded) pathname decodes. */
export const isDecodablePath = (pathname: string): boolean =>
  !pathname.includes('%') || pathname.split('/').every((segment) => decodedPathSegment(segment) !== undefined);
