/**
 * What a journey A request says about its holder, as the mails about it restate it (the
 * confirmation and the administrators' request): shared by the use cases that send those
 * mails and the templates that write them. Never the challenge phrase.
 */
export type KeySource = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'csr';

export interface RequestFacts {
  readonly ref: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly phone: string;
  readonly localAuthority: string;
  readonly comments: string | null;
  /** The key type mailca makes, or `csr` when the holder sent their own request. */
  readonly keySource: KeySource;
  readonly validityDays: number;
}
