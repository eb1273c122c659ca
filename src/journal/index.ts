/** The audit journal's public surface. */
export { Journal, JournalError, readJournal, streamJournal, LOG_TORN_LINE, LOG_UNTYPED_LINE, type JournalRecord, type ReadOptions } from './journal.js';
export {
  applyRecord,
  emptyJournalState,
  journalState,
  loadJournalState,
  type HaltRecord,
  type JournalState,
  type PauseRecord,
  type ResumeRecord,
} from './state.js';
