/** Mailbox and FM API command opcodes used by the DCD model (command set << 8 | command). */
export const OPCODE = {
  GET_EVENT_RECORDS: 0x0100,
  CLEAR_EVENT_RECORDS: 0x0101,
  GET_DC_CONFIG: 0x4800,
  GET_DC_EXTENT_LIST: 0x4801,
  ADD_DC_RESPONSE: 0x4802,
  RELEASE_DC: 0x4803,
  FM_GET_DCD_INFO: 0x5600,
  FM_GET_HOST_DC_REGION_CONFIG: 0x5601,
  FM_SET_DC_REGION_CONFIG: 0x5602,
  FM_GET_DC_REGION_EXTENT_LISTS: 0x5603,
  FM_INITIATE_DC_ADD: 0x5604,
  FM_INITIATE_DC_RELEASE: 0x5605,
  FM_DC_ADD_REFERENCE: 0x5606,
  FM_DC_REMOVE_REFERENCE: 0x5607,
  FM_DC_LIST_TAGS: 0x5608,
} as const;

export type Opcode = (typeof OPCODE)[keyof typeof OPCODE];

/** Event log types of Get/Clear Event Records (CXL r3.1 Table 8-50). */
export const EVENT_LOG = {
  INFORMATIONAL: 0,
  WARNING: 1,
  FAILURE: 2,
  FATAL: 3,
  DYNAMIC_CAPACITY: 4,
} as const;
