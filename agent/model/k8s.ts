// Schemas for the Kubernetes objects and the BGPConfiguration the felix syncer passes through as
// v3 resources (libcalico-go/lib/backend/model/resource.go: KindKubernetesEndpointSlice under
// "kubernetesendpointslices", KindKubernetesService under "kubernetesservice", both namespaced;
// BGPConfiguration under "bgpconfigurations"). The values are the objects' own JSON
// (discovery.k8s.io/v1 EndpointSlice, core/v1 Service, projectcalico.org/v3 BGPConfiguration).
//
// Structure, ports and protocols are checked here: a value that fails is treated as missing by the
// calc (logged with its key, felix/calc/validation_filter.go), so it contributes nothing and the
// rest stays correct. Addresses are not: Felix skips a non-IP address (an FQDN slice) one by one
// (felix/serviceindex/serviceindex.go), and so does the service index.
import { z } from 'zod';
import { parseIp } from '../../rules/compiler/ipaddr.js';

const labels = z.record(z.string(), z.string());

const metadata = z.object({
  name: z.string().optional(),
  namespace: z.string().optional(),
  labels: labels.nullish(),
});

/** core/v1 Protocol: the API server accepts exactly these three. */
const k8sProtocol = z.enum(['TCP', 'UDP', 'SCTP']);
const portNumber = z.number().int().min(1).max(65535);

/** discovery/v1 EndpointPort: a nil port means "all ports" and gives no IP+port members. */
const endpointPort = z.object({
  name: z.string().nullish(),
  protocol: k8sProtocol.nullish(),
  port: portNumber.nullish(),
  appProtocol: z.string().nullish(),
});

const endpoint = z.object({
  addresses: z.array(z.string()).nullish(),
});

export const endpointSliceSchema = z.object({
  metadata: metadata.optional(),
  addressType: z.string().optional(),
  endpoints: z.array(endpoint).nullish(),
  ports: z.array(endpointPort).nullish(),
});
export type ModelEndpointSlice = z.infer<typeof endpointSliceSchema>;

/** A cluster IP is an address, "None" (headless) or empty. */
const clusterIp = z
  .string()
  .refine((s) => s === '' || s === 'None' || parseIp(s) !== undefined, { message: 'invalid cluster IP' });

const servicePort = z.object({
  name: z.string().nullish(),
  protocol: k8sProtocol.nullish(),
  port: portNumber,
  nodePort: z.number().int().min(0).max(65535).nullish(),
  targetPort: z.union([z.number().int().min(0).max(65535), z.string()]).nullish(),
});

export const serviceSchema = z.object({
  metadata: metadata.optional(),
  spec: z
    .object({
      type: z.string().nullish(),
      clusterIP: clusterIp.nullish(),
      clusterIPs: z.array(clusterIp).nullish(),
      externalIPs: z
        .array(z.string().refine((s) => parseIp(s) !== undefined, { message: 'invalid external IP' }))
        .nullish(),
      ports: z.array(servicePort).nullish(),
    })
    .nullish(),
});
export type ModelService = z.infer<typeof serviceSchema>;

const cidrBlock = z.object({ cidr: z.string().nullish() });

/** v3 BGPConfiguration: only the service CIDRs matter to the iptables dataplane (service loop prevention). */
export const bgpConfigurationSchema = z.object({
  metadata: metadata.optional(),
  spec: z
    .object({
      serviceClusterIPs: z.array(cidrBlock).nullish(),
      serviceExternalIPs: z.array(cidrBlock).nullish(),
      serviceLoadBalancerIPs: z.array(cidrBlock).nullish(),
    })
    .nullish(),
});
export type ModelBGPConfiguration = z.infer<typeof bgpConfigurationSchema>;

/** The plurals of the resource keys these schemas decode. */
export const K8S_PLURALS = {
  endpointSlice: 'kubernetesendpointslices',
  service: 'kubernetesservice',
  bgpConfiguration: 'bgpconfigurations',
} as const;
