/** The ids the CLI takes, as the API writes them: a type prefix and a ULID (26 capital letters and digits). */

/** A message's id: `msg_01JDX...`. */
export const MESSAGE_ID = /^msg_[0-9A-HJKMNP-TV-Z]{26}$/;

/** A bulk job's id: `job_01JDX...`. */
export const JOB_ID = /^job_[0-9A-HJKMNP-TV-Z]{26}$/;
