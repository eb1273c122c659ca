/** A Mesos agent attribute as rendered by /master/slaves: text and range/set values are strings, scalars are numbers. */
export type AttributeValue = string | number;

export interface MesosAgent {
  id: string;
  hostname: string;
  port?: number;
  attributes: Record<string, AttributeValue>;
  /** Fault domain, when the cluster configures one. */
  region?: string;
  zone?: string;
  active: boolean;
}
