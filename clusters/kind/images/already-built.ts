import { say } from "../../../lib/progress.ts";
import { imageExists } from "../docker.ts";

/** Whether the image of a content-keyed tag is there already (its inputs unchanged), said when it is. */
export async function alreadyBuilt(tag: string): Promise<boolean> {
  if (!(await imageExists(tag))) return false;
  say("kind images", `${tag}: already built`);
  return true;
}
