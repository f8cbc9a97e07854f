import { ApiException, AuthenticationV1Api, AuthorizationV1Api } from "@kubernetes/client-node";
import { InfrastructureError } from "../errors.ts";
import type { Kube } from "../kube/client.ts";
import { apiErrorMessage } from "../kube/errors.ts";
import { withRetry } from "../kube/retry.ts";
import {
  type AccessQuestion,
  type Asker,
  accessQuestions,
  missingPermissionsMessage,
  neededPermissions,
  type PermissionContext,
  resourceName,
  verbsByPermission,
} from "./permissions.ts";

/**
 * Asks the API server, with one SelfSubjectAccessReview per verb and
 * resource, whether the credentials may do what the suite does. Every
 * authenticated user may create these reviews (system:basic-user), so a
 * user with no other permission still learns everything it lacks at once.
 */

/** The user name the API server sees, when it tells (SelfSubjectReview, Kubernetes 1.28+). */
async function userName(kube: Kube): Promise<string | undefined> {
  const api = kube.config.makeApiClient(AuthenticationV1Api);
  const review = await api
    .createSelfSubjectReview({ body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } })
    .catch(() => undefined);
  return review?.status?.userInfo?.username;
}

async function allowed(api: AuthorizationV1Api, question: AccessQuestion): Promise<boolean> {
  const { verb, group, resource, subresource } = question;
  const review = await withRetry(`may I ${verb} ${resource}`, () =>
    api.createSelfSubjectAccessReview({
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        // No namespace: the question is "in every namespace".
        spec: { resourceAttributes: { verb, group, resource, ...(subresource ? { subresource } : {}) } },
      },
    }),
  );
  return review.status?.allowed === true;
}

export interface PermissionReview {
  user?: string;
  denied: AccessQuestion[];
}

export async function reviewPermissions(
  kube: Kube,
  questions: readonly AccessQuestion[],
): Promise<PermissionReview> {
  const authorization = kube.config.makeApiClient(AuthorizationV1Api);
  const [user, answers] = await Promise.all([
    userName(kube),
    Promise.all(questions.map((q) => allowed(authorization, q))).catch((error: unknown) => {
      const forbidden = error instanceof ApiException && error.code === 403;
      throw new InfrastructureError(
        forbidden
          ? `the credentials may not even ask what they may do (creating a SelfSubjectAccessReview is forbidden: ${apiErrorMessage(error)}); they are probably anonymous or expired`
          : `asking the API server what the credentials may do failed: ${apiErrorMessage(error)}`,
      );
    }),
  ]);
  return { ...(user ? { user } : {}), denied: questions.filter((_, i) => !answers[i]) };
}

/**
 * Throws an InfrastructureError listing every missing permission the run
 * needs; returns warnings for the optional ones that are missing.
 */
export async function checkPermissions(
  kube: Kube,
  context: PermissionContext,
  asker: Omit<Asker, "user">,
): Promise<string[]> {
  const review = await reviewPermissions(kube, accessQuestions(neededPermissions(context)));
  const required = review.denied.filter((q) => !q.permission.optional);
  const who = { ...asker, ...(review.user ? { user: review.user } : {}) };
  if (required.length > 0) throw new InfrastructureError(missingPermissionsMessage(required, who));
  const optional = review.denied.filter((q) => q.permission.optional);
  return [...verbsByPermission(optional)].map(
    ([permission, verbs]) =>
      `not granted: ${verbs.join(", ")} ${resourceName(permission)}; without it ${permission.optional}`,
  );
}
