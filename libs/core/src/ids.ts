import { decodeTime, monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

export const MESSAGE_ID_PATTERN = /^msg_[0-9A-HJKMNP-TV-Z]{26}$/;

/** `msg_<ulid>`: sortable by creation time, so the newest-first listing is a plain range read. */
export const newMessageId = (nowMs: number): string => `msg_${nextUlid(nowMs)}`;

/** The instant (epoch ms) a message id was made at: its ULID's time. */
export const messageIdTime = (id: string): number => decodeTime(id.slice('msg_'.length));
