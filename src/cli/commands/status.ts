import type { Config } from '../../config/load.ts';
import { installationStatus } from '../../stores/status.ts';
import { formatStatus } from '../format-status.ts';

export async function statusCommand(config: Config, json: boolean): Promise<string> {
  const status = await installationStatus(config);
  return json ? JSON.stringify(status, null, 2) : formatStatus(status);
}
