import { expect } from 'chai';
import { startDav, type RunningDav } from './harness.js';
import { dav } from './client.js';

describe('dav over HTTP: COPY and MOVE', () => {
  let s: RunningDav;
  beforeEach(async () => {
    s = await startDav();
    s.drive.putFile('/src.txt', 'source');
    s.drive.putFile('/dir/a.txt', 'a');
    s.drive.putFile('/dir/sub/b.txt', 'b');
    s.drive.calls.length = 0;
  });
  afterEach(async () => {
    await s.close();
  });

  it('copies server-side with an absolute-URI Destination: 201 new, 204 overwritten', async () => {
    expect((await dav(s.origin, 'COPY', '/src.txt', { headers: { destination: `${s.origin}/copy.txt` } })).status).to.equal(201);
    expect(s.drive.content('/copy.txt')!.toString()).to.equal('source');
    expect((await dav(s.origin, 'COPY', '/dir/a.txt', { headers: { destination: `${s.origin}/copy.txt` } })).status).to.equal(204);
    expect(s.drive.content('/copy.txt')!.toString()).to.equal('a');
    // Never by downloading and re-uploading.
    expect(s.drive.calls).to.not.include('read');
    expect(s.drive.calls).to.not.include('write');
  });

  it('accepts an absolute-path and a relative Destination, and an absolute one on its own Host', async () => {
    expect((await dav(s.origin, 'COPY', '/src.txt', { headers: { destination: '/p1.txt' } })).status).to.equal(201);
    expect((await dav(s.origin, 'COPY', '/dir/a.txt', { headers: { destination: 'rel.txt' } })).status).to.equal(201);
    expect(s.drive.has('/dir/rel.txt')).to.equal(true);
    const host = new URL(s.origin).host;
    expect(
      (await dav(s.origin, 'MOVE', '/p1.txt', { headers: { destination: `http://${host.toUpperCase()}/p2%20x.txt` } })).status,
    ).to.equal(201);
    expect(s.drive.has('/p2 x.txt')).to.equal(true);
  });

  it('answers 502 to a Destination on another server and moves nothing', async () => {
    for (const method of ['MOVE', 'COPY']) {
      const res = await dav(s.origin, method, '/src.txt', { headers: { destination: 'http://evil.example/x.txt' } });
      expect(res.status, method).to.equal(502);
    }
    expect(s.drive.has('/src.txt')).to.equal(true);
    expect(s.drive.has('/x.txt')).to.equal(false);
  });

  it('accepts its own host name on another port and scheme (a proxy passing Host without its port, as nginx $host does)', async () => {
    const res = await dav(s.origin, 'MOVE', '/src.txt', { headers: { destination: 'https://127.0.0.1:8443/behind-proxy.txt' } });
    expect(res.status).to.equal(201);
    expect(s.drive.has('/behind-proxy.txt')).to.equal(true);
    expect((await dav(s.origin, 'COPY', '/behind-proxy.txt', { headers: { destination: 'https://127.0.0.2/x.txt' } })).status).to.equal(
      502,
    );
  });

  it('accepts the server.publicUrl authority behind a reverse proxy that rewrites Host', async () => {
    await s.close();
    s = await startDav({ publicUrl: 'https://dav.example.com/' });
    s.drive.putFile('/src.txt', 'source');
    // The proxy sends Host: 127.0.0.1:PORT; the client wrote its Destination with the public name.
    const move = await dav(s.origin, 'MOVE', '/src.txt', { headers: { destination: 'https://dav.example.com:443/moved.txt' } });
    expect(move.status).to.equal(201);
    expect(s.drive.has('/moved.txt')).to.equal(true);
    expect((await dav(s.origin, 'COPY', '/moved.txt', { headers: { destination: 'https://other.example.com/c.txt' } })).status).to.equal(
      502,
    );
  });

  it('fails with 412 on an existing destination with Overwrite: F, and treats a missing Overwrite as T', async () => {
    s.drive.putFile('/dest.txt', 'old');
    for (const method of ['COPY', 'MOVE']) {
      const res = await dav(s.origin, method, '/src.txt', { headers: { destination: '/dest.txt', overwrite: 'F' } });
      expect(res.status, method).to.equal(412);
    }
    expect(s.drive.content('/dest.txt')!.toString()).to.equal('old');
    expect((await dav(s.origin, 'MOVE', '/src.txt', { headers: { destination: '/dest.txt' } })).status).to.equal(204);
    expect(s.drive.content('/dest.txt')!.toString()).to.equal('source');
    expect(s.drive.has('/src.txt')).to.equal(false);
  });

  it('copies a whole tree with Depth infinity and only the collection with Depth 0', async () => {
    expect((await dav(s.origin, 'COPY', '/dir/', { headers: { destination: '/deep/' } })).status).to.equal(201);
    expect(s.drive.content('/deep/sub/b.txt')!.toString()).to.equal('b');
    expect((await dav(s.origin, 'COPY', '/dir/', { headers: { destination: '/shallow/', depth: '0' } })).status).to.equal(201);
    expect(s.drive.has('/shallow')).to.equal(true);
    expect(s.drive.has('/shallow/a.txt')).to.equal(false);
    expect((await dav(s.origin, 'COPY', '/dir/', { headers: { destination: '/x/', depth: '1' } })).status).to.equal(400);
    expect((await dav(s.origin, 'MOVE', '/dir/', { headers: { destination: '/x/', depth: '0' } })).status).to.equal(400);
  });

  it('moves a collection over a file when overwriting', async () => {
    expect((await dav(s.origin, 'MOVE', '/dir/', { headers: { destination: '/src.txt', overwrite: 'T' } })).status).to.equal(204);
    expect(s.drive.content('/src.txt/sub/b.txt')!.toString()).to.equal('b');
  });

  it('answers 409 when the destination parent is missing, 404 for a missing source, 400 without Destination', async () => {
    expect((await dav(s.origin, 'COPY', '/src.txt', { headers: { destination: '/nonesuch/foo' } })).status).to.equal(409);
    expect((await dav(s.origin, 'MOVE', '/nothing', { headers: { destination: '/x' } })).status).to.equal(404);
    expect((await dav(s.origin, 'MOVE', '/src.txt')).status).to.equal(400);
    expect((await dav(s.origin, 'MOVE', '/src.txt', { headers: { destination: '/x', overwrite: 'maybe' } })).status).to.equal(400);
  });

  it('refuses to move onto itself (403) or into its own subtree (409)', async () => {
    expect((await dav(s.origin, 'MOVE', '/dir/', { headers: { destination: '/dir/' } })).status).to.equal(403);
    expect((await dav(s.origin, 'MOVE', '/dir/', { headers: { destination: '/dir/sub/inside/' } })).status).to.equal(409);
    expect(s.drive.content('/dir/a.txt')!.toString()).to.equal('a');
  });

  it('answers 400 to a Destination with dot segments, encoded slashes or bad escapes', async () => {
    for (const destination of ['/a/../b', '/a%2Fb', '/%ZZ', 'http://h/x#frag']) {
      expect((await dav(s.origin, 'COPY', '/src.txt', { headers: { destination } })).status, destination).to.equal(400);
    }
  });

  it('handles rclone 1.60.1 directory moves: trailing slashes and Overwrite: F', async () => {
    const res = await dav(s.origin, 'MOVE', '/dir/', { headers: { destination: `${s.origin}/renamed/`, overwrite: 'F' } });
    expect(res.status).to.equal(201);
    expect(s.drive.content('/renamed/sub/b.txt')!.toString()).to.equal('b');
    expect(s.drive.has('/dir')).to.equal(false);
  });
});
