import { describe, it, expect } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFixtureRepo } from './git-fixture';
import { runOk } from './proc';

describe('createFixtureRepo', () => {
  it('makes a bare repo with a tag, a later commit on main, and the recipe files', async () => {
    const repo = await createFixtureRepo({ port: 18099 });
    const work = await mkdtemp(join(tmpdir(), 'kgt-gitcheck-'));
    try {
      expect(repo.url).toMatch(/^file:\/\/\/.+\.git$/);
      expect(fileURLToPath(repo.url)).toBe(repo.path);
      expect(repo.tags).toEqual(['v1.0.0']);
      expect(repo.defaultBranch).toBe('main');
      const refs = await runOk('git', ['ls-remote', '--symref', repo.url]);
      expect(refs).toContain('ref: refs/heads/main\tHEAD');
      expect(refs).toContain(`${repo.commits.head}\trefs/heads/main`);
      expect(refs).toContain(`${repo.commits.tag}\trefs/tags/v1.0.0^{}`);
      expect(repo.commits.tag).not.toBe(repo.commits.head);

      await runOk('git', ['clone', '-q', repo.url, join(work, 'main')]);
      await runOk('git', ['clone', '-q', '--branch', 'v1.0.0', repo.url, join(work, 'tag')]);
      expect((await readFile(join(work, 'main', 'VERSION'), 'utf8')).trim()).toBe('1.1.0-dev');
      expect((await readFile(join(work, 'tag', 'VERSION'), 'utf8')).trim()).toBe('1.0.0');
      const prod = await readFile(join(work, 'tag', 'docker-compose.prod.yml'), 'utf8');
      expect(prod).toContain('"127.0.0.1:18099:8080"');
      expect(prod).toContain('DOMAIN=${DOMAIN}');
      const base = await readFile(join(work, 'tag', 'docker-compose.yml'), 'utf8');
      expect(base).toContain('image: local/busybox:1');
      expect(base).toContain('http://127.0.0.1:8080/health');
      const env = await readFile(join(work, 'tag', '.env.vps.example'), 'utf8');
      expect(env).toMatch(/^POSTGRES_PASSWORD=CHANGE_THIS_PASSWORD$/m);
      expect(env).toMatch(/^JWT_SECRET=CHANGE_THIS_SECRET$/m);
      const metrics = join(work, 'tag', 'monitoring', 'scripts', 'vps_metrics.sh');
      expect(statSync(metrics).mode & 0o111).toBe(0o111);
      expect(await runOk(metrics, [])).toMatch(/^vps_metrics /);
      expect(await runOk(join(work, 'tag', 'monitoring', 'scripts', 'postgres_metrics.sh'), [])).toMatch(/^postgres_metrics /);

      // Readable by any user: every folder from the temp root down is a+rx, every file a+r.
      for (let p = repo.path; p !== dirname(tmpdir()) && p !== tmpdir(); p = dirname(p)) {
        expect(statSync(p).mode & 0o005, p).toBe(0o005);
      }
      expect(statSync(join(repo.path, 'HEAD')).mode & 0o004).toBe(0o004);
    } finally {
      await repo.stop();
      await repo.stop();
      await rm(work, { recursive: true, force: true });
    }
    expect(existsSync(repo.path)).toBe(false);
  });
});
