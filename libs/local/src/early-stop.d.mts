// Types of early-stop.mjs (plain JavaScript, loaded by `npm start` ahead of tsx).
export declare const stoppedBeforeUpLine: (signal: string) => string;
export declare const handStopSignalsTo: (handle: (signal: NodeJS.Signals) => void) => void;
