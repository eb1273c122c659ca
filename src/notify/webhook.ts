/**
 * The generic webhook: the event itself as the JSON body (README "Notifications" documents the
 * shape), so a receiver needs no knowledge of this code to read it.
 */
import type { NotifyEvent } from './events.js';

export function webhookBody(event: NotifyEvent): NotifyEvent {
  return event;
}
