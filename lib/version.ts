/** The control plane's version, reported in the API and to agents. */
export const VERSION = "0.1.0";
