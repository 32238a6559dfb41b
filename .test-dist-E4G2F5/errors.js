export class CairnError extends Error {
    code;
    /** Extra facts for the HTTP layer, e.g. the existing entry's UUID for DUPLICATE. */
    details;
    constructor(code, message, details = {}) {
        super(message);
        this.name = 'CairnError';
        this.code = code;
        this.details = details;
    }
}
/** isCairnError reports whether e is a CairnError, optionally with the given code. */
export function isCairnError(e, code) {
    return e instanceof CairnError && (code === undefined || e.code === code);
}
