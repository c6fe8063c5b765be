/**
 * R37 `cxl_process_extent_list()`: read the device's whole extent list with 4801h, page by page,
 * and notice a list that changed while it was read (generation number or total count): -EAGAIN,
 * retried from index 0 up to `scanAttempts` times in all. A page that returns nothing while more
 * are expected is -EIO (v11). Mailbox errors are returned as they are.
 */
import { errno, isDcdError } from "../../errors.js";
import type { CxlMailbox } from "../mbox/mailbox.js";
import type { DcExtent } from "../wire/extent.js";

/** One pass over the list; throws EAGAIN (after `warn`) when it changed under the reader. */
export function readExtentListOnce(mailbox: CxlMailbox, warn: (message: string) => void): DcExtent[] {
  const per = mailbox.extentsPerPage;
  const out: DcExtent[] = [];
  let index = 0;
  let totalExpected = 0;
  let initialGen = 0;
  let first = true;
  do {
    const page = mailbox.getDcExtentList({ extentCount: per, startIndex: index });
    if (first) {
      totalExpected = page.total;
      initialGen = page.generation;
      first = false;
    }
    if (page.generation !== initialGen || page.total !== totalExpected) {
      warn(`Extent list change detected; gen ${page.generation} != ${initialGen} : cnt ${totalExpected} != ${page.total}`);
      throw errno("EAGAIN", `${mailbox.name}: extent list changed while it was read`, { detail: { generation: page.generation, initialGen, total: page.total, totalExpected } });
    }
    if (page.extents.length === 0 && out.length < totalExpected) {
      throw errno("EIO", `${mailbox.name}: Get DC Extent List returned no extent at index ${index} of ${totalExpected}`, { detail: { index, totalExpected } });
    }
    for (const e of page.extents) out.push(e);
    index += page.extents.length;
  } while (out.length < totalExpected);
  return out;
}

/** Up to `attempts` passes while the list keeps changing; the last EAGAIN is thrown. */
export function readExtentList(mailbox: CxlMailbox, attempts: number, warn: (message: string) => void): { readonly extents: DcExtent[]; readonly attempts: number } {
  let last: unknown;
  for (let i = 1; i <= attempts; i++) {
    try {
      return { extents: readExtentListOnce(mailbox, warn), attempts: i };
    } catch (err) {
      if (!isDcdError(err, "EAGAIN")) throw err;
      last = err;
    }
  }
  throw last;
}
