/** Rows fetched per page as the list scrolls. */
export const PAGE_SIZE = 200;
/** At most 25 pages (5,000 rows) are held, whatever the session's size. */
export const MAX_PAGES = 25;
