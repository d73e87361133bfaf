// Test-support fixtures (imported only by tests and benches): real sshd, Docker engine, git repo, TCP proxy.
export { startSshd, sshKeygenFingerprint, type SshdHandle, type SshdOptions, type SudoMode } from './sshd';
export {
  startDocker,
  importBusyboxImage,
  installComposeShim,
  installComposeShimSystemWide,
  composeContainers,
  waitForComposeHealthy,
  docker,
  BUSYBOX_IMAGE,
  COMPOSE_SHIM,
  SYSTEM_PLUGIN_DIR,
  type DockerEnv,
  type DockerHandle,
  type DockerOptions,
  type SystemShimHandle,
} from './docker-host';
export { startTcpProxy, type TcpProxy } from './tcp-proxy';
export { addRelease, createFixtureRepo, fixtureFiles, headOf, TEST_GIT_ENV, type FixtureRepo, type FixtureRepoOptions, type ReleaseFiles } from './git-fixture';
export { freePort } from './free-port';
export { run, runOk, shq, requireRoot, type RunResult, type RunOptions } from './proc';
export { installSystemShims, type SystemShims } from './system-shims';
export { startDeployHost, type DeployHost } from './deploy-host';
export { startHetznerFake, createVirtualClock } from './hetzner-fake';
export { createTestCertificates, startHttpsServer, startSilentServer, type KeyPair, type TestCertificates, type HttpsTestServer } from './https-server';
export { startK8sFake, type K8sFake, type K8sFakeOptions, type FakeNodeSpec, type FakePodSpec } from './k8s-fake';
