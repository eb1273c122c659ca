/**
 * How a request authenticates: the provider interface the transport and both clients take, and
 * the two static schemes (HTTP basic, a DC/OS token). Secrets live in private class fields (#…)
 * so that logging a provider, or an object holding one, cannot print them. The DC/OS service
 * account login is Marathon-side (src/marathon/auth.ts).
 */
export interface AuthProvider {
  /** The Authorization header value, or undefined to send none. */
  header(): Promise<string | undefined>;
  /** Forget any cached credential (called after a 401). */
  invalidate(): void;
  /** True when invalidate() can produce a different header, so a 401 is worth one retry. */
  readonly renewable: boolean;
}

export const noAuth: AuthProvider = {
  header: () => Promise.resolve(undefined),
  invalidate: () => undefined,
  renewable: false,
};

class BasicAuth implements AuthProvider {
  readonly renewable = false;
  readonly #value: string;
  constructor(username: string, password: string) {
    this.#value = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  }
  header(): Promise<string> {
    return Promise.resolve(this.#value);
  }
  invalidate(): void {}
  toJSON(): string {
    return '[basic auth]';
  }
}

class StaticTokenAuth implements AuthProvider {
  readonly renewable = false;
  readonly #value: string;
  constructor(token: string) {
    this.#value = `token=${token}`;
  }
  header(): Promise<string> {
    return Promise.resolve(this.#value);
  }
  invalidate(): void {}
  toJSON(): string {
    return '[DC/OS token]';
  }
}

/** OSS Marathon `--http_credentials user:pass`: `Authorization: Basic …` on every request. */
export function basicAuth(username: string, password: string): AuthProvider {
  return new BasicAuth(username, password);
}

/** A DC/OS auth token obtained elsewhere: `Authorization: token=…`. */
export function staticTokenAuth(token: string): AuthProvider {
  return new StaticTokenAuth(token);
}
