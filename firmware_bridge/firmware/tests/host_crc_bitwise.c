/*
 * host_crc_bitwise.c - host tests only: crc16.c compiled a second time in
 * its table-free variant (CRC16_CCITT_FALSE_NO_TABLE) under other names, so
 * one test program can check both variants against each other.
 */
#define CRC16_CCITT_FALSE_NO_TABLE
#define crc16_ccitt_false_update host_crc16_bitwise_update
#define crc16_ccitt_false host_crc16_bitwise
#include "../lib/emgf_core/src/crc16.c"
