// The part of @ovhcloud/node-ovh (CommonJS, no bundled types) the tests use: its signature function,
// to check that ours computes the same. Default import from ESM.
declare module '@ovhcloud/node-ovh' {
  interface OvhLegacyClient {
    signRequest(httpMethod: string, url: string, body: string | null, timestamp: number | string): string;
  }
  function ovh(params: { appKey: string; appSecret: string; consumerKey?: string; endpoint?: string }): OvhLegacyClient;
  export default ovh;
}
