interface ImportMetaEnv {
  /** The Tickwire server's HTTP origin (matchmaking API); http://127.0.0.1:8080 by default. */
  readonly VITE_TICKWIRE_ORIGIN?: string;
}
