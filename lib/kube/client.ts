import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  SchedulingV1Api,
  StorageV1Api,
} from "@kubernetes/client-node";

/** The API clients the suite uses, built from one kubeconfig. */
export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  storage: StorageV1Api;
  scheduling: SchedulingV1Api;
  objects: KubernetesObjectApi;
}

export function connect(kubeconfigPath: string, context?: string): Kube {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  if (context) config.setCurrentContext(context);
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    storage: config.makeApiClient(StorageV1Api),
    scheduling: config.makeApiClient(SchedulingV1Api),
    objects: KubernetesObjectApi.makeApiClient(config),
  };
}
