// Generated from src-tauri by `UPDATE_API_TYPES=1 cargo test --test typescript`. Do not edit.

import type { CardAlgorithm, ErrorCode } from './types';

export type Settings = { server_url: string, tenant: string, 
/**
 * Whether a client key is stored in the keyring (the key itself never leaves Rust).
 */
has_client_key: boolean, 
/**
 * Set when the values come from the environment and cannot be edited in the app (never
 * taken from the file: `load` decides it).
 */
from_environment: boolean, 
/**
 * The fields the machine's policy sets (`server_url`, `tenant`, `client_key`, `language`):
 * shown, not editable. Never taken from the file.
 */
locked: Array<string>, 
/**
 * The language the policy sets for the app, if any.
 */
language: string | null, 
/**
 * Why the policy could not be used (its source, the field, the reason); it is then ignored.
 */
policy_error: string | null, };

export type CardReadersView = { available: boolean, 
/**
 * A code the UI translates, e.g. `card_no_service`.
 */
reason: ErrorCode | null, readers: Array<ReaderView>, };

export type ReaderView = { name: string, card_present: boolean, events: number, };

export type PinRulesView = { min_length: number, max_length: number, digits_only: boolean, };

export type PinState = "blocked" | "tries_left" | "verified";

export type CardStatusView = { serial: string, pin: PinState, tries_left: number | null, rules: PinRulesView, };

export type CardUnblocked = { serial: string, };

export type ShownCryptogram = { cryptogram: string, checksum: string, algorithm: CardAlgorithm, qr_svg: string, };

export type CameraView = { id: string, name: string, };

export type CamerasView = { cameras: Array<CameraView>, 
/**
 * Why the system's cameras could not be listed (a code the UI translates).
 */
reason: ErrorCode | null, };

export type ScanEvent = { "kind": "started", name: string, } | { "kind": "found", card: CardRequest, millis: number, } | { "kind": "refused", error: ErrorCode, } | { "kind": "failed", error: ErrorCode, };

export type CardRequest = { 
/**
 * Card serial, upper-case hex.
 */
serial: string, 
/**
 * The card's challenge, upper-case hex (16 or 32 digits).
 */
challenge: string, 
/**
 * From `alg`, or from the challenge's length when the URL does not say.
 */
algorithm: ChallengeAlgorithm, 
/**
 * The organisation the code was made for, when the URL names it.
 */
tenant: string | null, 
/**
 * The host of an `https` link; `None` for the custom scheme.
 */
host: string | null, };

export type ChallengeAlgorithm = "3des" | "aes";

export type AuthenticatorQr = { secret: string, qr_svg: string, digits: number, period: number, };

export type EnrolLink = { tenant: string, username: string, };

export type UpdateView = { version: string, 
/**
 * The release notes, as published.
 */
notes: string | null, };
