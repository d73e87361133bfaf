import { GitHubClient } from '../electron/main/github/client';
import { detectRecipe, githubSource } from '../electron/main/recipe/detect';
import { FIXTURE_REPOS } from '../electron/main/recipe/fixtures/repos';
import { startGitHubFake } from '../electron/main/testing/github-fake';
import type { Bench } from './lib/bench';

// API requests to detect the recipe of a repository of the roadmap's layout (tree + contents),
// against the local fake of GitHub's REST API. Issue 6: at most 10. Issue 11 reads the repository's own tooling
// (only files whose names suggest deployment, at most 8) and the monitoring scripts (what they need): the roadmap
// layout went from 6 to 10; a layout whose production path is a Makefile target is printed beside it.
const bench: Bench = {
  description: 'GitHub API requests to detect a recipe (roadmap layout)',
  async run(log) {
    const fake = await startGitHubFake({ repos: FIXTURE_REPOS });
    try {
      const client = new GitHubClient({ baseUrl: fake.url });
      const repo = { owner: 'gilmry', name: 'koprogo' };
      const ref = (await client.defaultRef(repo)).ref;
      const before = client.requestCount;
      const recipe = await detectRecipe(githubSource(client, repo, ref));
      const requests = client.requestCount - before;
      log(`ref: ${ref}`);
      log(`files read: ${recipe.filesRead.length}`);
      log(`requests for detection: ${requests} (target: at most 10)`);
      const start = client.requestCount;
      const other = await detectRecipe(githubSource(client, { owner: 'acme', name: 'koprogo-gitops' }, 'main'));
      log(`Makefile layout (acme/koprogo-gitops): ${client.requestCount - start} requests, ${other.filesRead.length} files read`);
      return { value: requests, decimals: 0 };
    } finally {
      await fake.close();
    }
  },
};
export default bench;
