import { describe, expect, it } from 'vitest';
import { bearerChallenge } from './request-auth.ts';

describe('bearerChallenge', () => {
  const challenge = { realm: 'http://127.0.0.1:5000/token', service: '127.0.0.1:5000' };

  it('names realm and service, then the scope and the error when there are any', () => {
    expect(bearerChallenge(challenge)).toBe('Bearer realm="http://127.0.0.1:5000/token",service="127.0.0.1:5000"');
    expect(bearerChallenge(challenge, { type: 'repository', name: 'team/app', actions: ['pull', 'push'] }, 'insufficient_scope')).toBe(
      'Bearer realm="http://127.0.0.1:5000/token",service="127.0.0.1:5000",scope="repository:team/app:pull,push",error="insufficient_scope"',
    );
  });
});
