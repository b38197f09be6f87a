/** The version string sent to Typha and logged at start-up. */
export const VERSION = 'felix-ts-v0.1.0';
