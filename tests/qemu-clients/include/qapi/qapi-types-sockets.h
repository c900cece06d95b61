/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Stand-in for QEMU's QAPI-generated qapi-types-sockets.h: qemu/sockets.h
 * only names these types in prototypes the clients never call.
 */
#ifndef WDT_DM_QAPI_TYPES_SOCKETS_H
#define WDT_DM_QAPI_TYPES_SOCKETS_H

#include "qapi/qapi-builtin-types.h"

typedef enum NetworkAddressFamily {
	NETWORK_ADDRESS_FAMILY_IPV4,
	NETWORK_ADDRESS_FAMILY_IPV6,
	NETWORK_ADDRESS_FAMILY_UNIX,
	NETWORK_ADDRESS_FAMILY_VSOCK,
	NETWORK_ADDRESS_FAMILY_UNKNOWN,
	NETWORK_ADDRESS_FAMILY__MAX,
} NetworkAddressFamily;

typedef struct InetSocketAddress InetSocketAddress;
typedef struct SocketAddress SocketAddress;
typedef struct SocketAddressLegacy SocketAddressLegacy;

#endif
