// passive-client-welcome.json: join from a Welcome in every tree shape.
export { checkPassiveClient as check } from "./passive_client.ts";
