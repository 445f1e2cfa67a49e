// Percent-encoding of the canonical URI and query (reference §7 steps 3–4), against hand-worked vectors and the signer round trip.
import t from 'tap';
import { canonicalQuery, canonicalUri, encodeComponent } from '../../daemon/http/auth/sdk-canonical.js';
import { verifySdkSignature } from '../../daemon/http/auth/sdk-signature.js';
import { splitRequestUrl } from '../../daemon/http/auth/sdk-request.js';
import { signRequest } from '../../provider/client/signer.js';

t.test('canonical URI vectors', async (t) => {
  const vectors: Array<[string, string]> = [
    ['/v1.0/p/kms/create-key', '/v1.0/p/kms/create-key/'],
    ['/v1.0/p/kms/create-key/', '/v1.0/p/kms/create-key/'],
    ['', '/'],
    ['/', '/'],
    ['/a b', '/a%20b/'],
    ['/a%20b', '/a%20b/'],
    ['/a%2fb', '/a/b/'],
    ['/a%2Fb/c', '/a/b/c/'],
    ['/caf%C3%A9', '/caf%C3%A9/'],
    ['/café', '/caf%C3%A9/'],
    ['/%e2%82%ac', '/%E2%82%AC/'],
    ['/%F0%9F%94%91', '/%F0%9F%94%91/'],
    ['/a+b', '/a%2Bb/'],
    ['/a~b_c.d-e', '/a~b_c.d-e/'],
    ["/!*'()", '/%21%2A%27%28%29/'],
    ['/%7E', '/~/'],
    ['/100%', '/100%25/'],
    ['/%zz', '/%25zz/'],
    ['/%4', '/%254/'],
    ['/%FF', '/%EF%BF%BD/'],
    ['/a//b', '/a//b/'],
  ];
  for (const [input, want] of vectors) t.equal(canonicalUri(input), want, JSON.stringify(input));
});

t.test('canonical query vectors', async (t) => {
  const vectors: Array<[string, string]> = [
    ['', ''],
    ['b=2&a=1', 'a=1&b=2'],
    ['x=b&x=a&x=c', 'x=a&x=b&x=c'],
    ['x=2&y=1&x=1', 'x=1&x=2&y=1'],
    ['a=hello world', 'a=hello%20world'],
    ['a=hello+world', 'a=hello%20world'],
    ['a=hello%20world', 'a=hello%20world'],
    ['a=1%2B1', 'a=1%2B1'],
    ['flag', 'flag='],
    ['flag=', 'flag='],
    ['a=1&&b=2&', 'a=1&b=2'],
    ['k%C3%A9y=v%C3%A9', 'k%C3%A9y=v%C3%A9'],
    ['a=x=y', 'a=x%3Dy'],
    ['q=%2F%2f', 'q=%2F%2F'],
  ];
  for (const [input, want] of vectors) t.equal(canonicalQuery(input), want, JSON.stringify(input));
});

t.test('encodeComponent keeps only unreserved characters', async (t) => {
  t.equal(encodeComponent('AZaz09-_.~'), 'AZaz09-_.~');
  t.equal(encodeComponent(' /?#[]@!$&\'()*+,;=%'), '%20%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25');
  t.equal(encodeComponent('ü'), '%C3%BC');
});

t.test('(e) signed requests with awkward paths and queries verify end to end through a URL', async (t) => {
  const now = Date.UTC(2025, 0, 1);
  const key = { accessKey: 'AK-E', secretKey: 'sk-e' };
  const lookup = (ak: string) => (ak === 'AK-E' ? Buffer.from('sk-e') : undefined);
  const urls = [
    'http://h/v1/p/secrets/with space',
    'http://h/v1/p/secrets/caf%C3%A9/versions',
    'http://h/v1/p/secrets/日本語',
    'http://h/v1/p/secrets/a%2Fb',
    'http://h/v1/p/secrets?name=a&name=b&name=a&limit=10',
    'http://h/v1/p/secrets?q=a+b&r=a%2Bb&s=%E2%82%AC',
  ];
  for (const raw of urls) {
    const url = new URL(raw).href;
    const headers = { 'X-Project-Id': 'p' };
    const added = signRequest({ method: 'GET', url, headers }, key, () => now);
    const all = new Map(Object.entries({ ...headers, ...added, host: 'h' }).map(([k, v]) => [k.toLowerCase(), v]));
    const { path, rawQuery } = splitRequestUrl(url);
    const r = verifySdkSignature({ method: 'GET', path, rawQuery, header: (n) => all.get(n), body: '' }, lookup, now);
    t.equal(r.ok, true, url);
  }
});

t.test('splitRequestUrl cuts raw path and query', async (t) => {
  t.same(splitRequestUrl('http://h:1/a%20b/c?x=1&y=%2F#frag'), { path: '/a%20b/c', rawQuery: 'x=1&y=%2F' });
  t.same(splitRequestUrl('http://h'), { path: '/', rawQuery: '' });
  t.same(splitRequestUrl('http://h?x'), { path: '/', rawQuery: '' });
  t.same(splitRequestUrl('https://h/p?'), { path: '/p', rawQuery: '' });
});
