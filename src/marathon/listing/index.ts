/**
 * The app listing, `GET /v2/apps`: the one place that turns its body into MarathonApps.
 *
 * A listing is read while it arrives (ListingReader, fed by the transport as a BodySink); when the
 * body is anything but the plain `{"apps": [{…}, …]}` form, or anything in it is off, the one
 * fallback is the whole-body parse (parseBody + parseAppList), which answers every error with its
 * message and JSON path. The streamed read answers exactly what the whole-body parse answers for
 * any body, however it is cut into pieces (test/marathon/listing.test.ts holds the two together).
 */
import { decodeText } from '../../http/json.js';
import { keepShape } from '../../platform/keep-shape.js';
import { parseAppList, parseBody, type ParseContext } from '../parse.js';
import type { MarathonApp } from '../../domain/marathon.js';
import { ListingReader } from './reader.js';

/** A listing body being read as it arrives: hand it to the transport as the 200 answer's sink. */
export type AppListingSink = ListingReader;

/**
 * A sink for one listing answer. `batchBytes` is for tests, which need batches on small bodies.
 *
 * One reader stays alive for the life of the process, made at the first listing (keep-shape.ts):
 * it keeps the hidden classes of ListingReader, its ReceivedBody and its PathReader, and with them
 * the parser's optimised code across the collections between cycles.
 */
export function appListingSink(batchBytes?: number): AppListingSink {
  keepShape('marathon listing reader', () => new ListingReader());
  return new ListingReader(batchBytes);
}

/**
 * The apps of a 200 answer to `GET /v2/apps`: from the sink the body was streamed into, or from the
 * body's text when it was not streamed. E_MARATHON_BAD_RESPONSE (naming the JSON path) for anything
 * that is not a valid listing.
 */
export function readAppListing(body: AppListingSink | string, contentType: string | undefined, ctx: ParseContext & { status: number }): MarathonApp[] {
  if (typeof body !== 'string') {
    const apps = body.finish();
    if (apps !== undefined) return apps;
    return wholeBody(decodeText(body.body.bytes()), contentType, ctx);
  }
  return wholeBody(body, contentType, ctx);
}

/** The fallback: the whole text parsed, then normalised. */
function wholeBody(text: string, contentType: string | undefined, ctx: ParseContext & { status: number }): MarathonApp[] {
  return parseAppList(parseBody(text, contentType, ctx), ctx);
}
