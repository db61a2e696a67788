// passive-client-handling-commit.json: follow commits of every kind.
export { checkPassiveClient as check } from "./passive_client.ts";
