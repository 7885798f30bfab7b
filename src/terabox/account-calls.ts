// Account calls: login check, membership (plan), quota, and home/info (the download sign inputs).

import type { AccountInfo, Quota } from './api.js';
import type { ClientContext } from './context.js';
import { ENDPOINTS } from './endpoints.js';
import { TeraBoxError } from './errors.js';
import type { WireCheckLoginResponse, WireHomeInfoResponse, WireMembershipResponse, WireQuotaResponse } from './wire.js';

export interface LoginInfo {
  uk?: number;
}

export interface Membership {
  vip: boolean;
  /** Unix seconds, when the server says. */
  vipEndTime?: number;
}

export interface HomeInfo {
  sign1: string;
  sign3: string;
  timestamp: number;
}

/** `/api/check/login`: AUTH_EXPIRED (-6) when the cookie is bad (after any region switch). */
export async function checkLogin(calls: ClientContext): Promise<LoginInfo> {
  const { body } = await calls.caller.call<WireCheckLoginResponse>(ENDPOINTS.checkLogin);
  return { uk: typeof body.uk === 'number' ? body.uk : undefined };
}

export async function membership(calls: ClientContext): Promise<Membership> {
  const { body } = await calls.caller.call<WireMembershipResponse>(ENDPOINTS.membership, {
    query: { method: 'query', membership_version: '1.0' },
  });
  const info = body.data?.member_info;
  return {
    vip: Number(info?.is_vip ?? 0) > 0,
    vipEndTime: typeof info?.vip_end_time === 'number' ? info.vip_end_time : undefined,
  };
}

export async function account(calls: ClientContext): Promise<AccountInfo> {
  const login = await checkLogin(calls);
  const plan = await membership(calls);
  return {
    uk: login.uk,
    vip: plan.vip,
    maxFileSize: plan.vip ? calls.opts.vipMaxFileSize : calls.opts.freeMaxFileSize,
  };
}

/** Free space is computed, the server's `free` is unreliable (§2.6). */
export async function quota(calls: ClientContext): Promise<Quota> {
  const { body } = await calls.caller.call<WireQuotaResponse>(ENDPOINTS.quota, {
    query: { checkexpire: 1, checkfree: 1 },
  });
  const total = Number(body.total) || 0;
  const used = Number(body.used) || 0;
  return { total, used, free: Math.max(0, total - used) };
}

export async function homeInfo(calls: ClientContext): Promise<HomeInfo> {
  const { body, requestId } = await calls.caller.call<WireHomeInfoResponse>(ENDPOINTS.homeInfo);
  const data = body.data;
  if (typeof data?.sign1 !== 'string' || typeof data.sign3 !== 'string') {
    throw new TeraBoxError(`${ENDPOINTS.homeInfo.path}: answer lacks sign1/sign3`, {
      code: 'UNKNOWN',
      endpoint: ENDPOINTS.homeInfo.path,
      requestId,
    });
  }
  return { sign1: data.sign1, sign3: data.sign3, timestamp: Number(data.timestamp) || Math.floor(Date.now() / 1000) };
}
