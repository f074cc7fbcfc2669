/**
 * The OCSF 1.8.0 classes, activities and enums the mapper uses, with their
 * captions. Sources: ocsf/ocsf-schema `categories.json`, `dictionary.json`
 * and the class files named beside each entry.
 */

/** OCSF schema version the mapper targets (`metadata.version`). */
export const OCSF_VERSION = '1.8.0';

/** An OCSF event class: `class_uid` = category_uid * 1000 + class number. */
export interface OcsfClass {
  class_uid: number;
  class_name: string;
  category_uid: number;
  category_name: string;
}

const IAM = { category_uid: 3, category_name: 'Identity & Access Management' } as const;
const SYSTEM = { category_uid: 1, category_name: 'System Activity' } as const;
const FINDINGS = { category_uid: 2, category_name: 'Findings' } as const;
const APPLICATION = { category_uid: 6, category_name: 'Application Activity' } as const;

/** Classes used, by role. */
export const OCSF_CLASSES = {
  /** events/iam/authentication.json: activity 1 Logon. */
  authentication: { class_uid: 3002, class_name: 'Authentication', ...IAM },
  /** events/iam/account_change.json: activity 10 MFA Factor Enable. */
  accountChange: { class_uid: 3001, class_name: 'Account Change', ...IAM },
  /** events/system/process_activity.json: activity 1 Launch. */
  processActivity: { class_uid: 1007, class_name: 'Process Activity', ...SYSTEM },
  /** events/system/event_log_activity.json: 6 Start, 7 Stop, 99 Other. */
  eventLogActivity: { class_uid: 1008, class_name: 'Event Log Activity', ...SYSTEM },
  /** events/findings/detection_finding.json: activity 1 Create. */
  detectionFinding: { class_uid: 2004, class_name: 'Detection Finding', ...FINDINGS },
  /** events/application/application_lifecycle.json: 3 Start, 4 Stop, 5 Restart. */
  applicationLifecycle: { class_uid: 6002, class_name: 'Application Lifecycle', ...APPLICATION },
  /** events/application/application_error.json: activity 1 General Error. */
  applicationError: { class_uid: 6008, class_name: 'Application Error', ...APPLICATION },
} as const satisfies Record<string, OcsfClass>;

/** `severity_id` captions (dictionary.json). */
export const OCSF_SEVERITY: Record<number, string> = {
  0: 'Unknown',
  1: 'Informational',
  2: 'Low',
  3: 'Medium',
  4: 'High',
  5: 'Critical',
  6: 'Fatal',
  99: 'Other',
};

/**
 * `activity_id` 99 Other (dictionary.json `activity_id`): the activity is
 * not one the class defines; `activity_name` holds the source's own name.
 */
export const OCSF_ACTIVITY_OTHER = 99;

/**
 * Profiles whose attributes the mapper writes (`metadata.profiles`, "The
 * list of profiles used to create the event", objects/metadata.json). A
 * validator accepts a profile's attributes only when the event lists the
 * profile (ocsf/ocsf-server lib/schema/validator2.ex, filter_with_profiles).
 */
export const OCSF_PROFILE = {
  /** profiles/host.json: `actor`, `device`, included by events/base_event.json. */
  host: 'host',
  /** profiles/container.json: `container`, `namespace_pid`, included by objects/process.json. */
  container: 'container',
} as const;

/** Event `status_id` from our outcome (base_event.json: 0 Unknown, 1 Success, 2 Failure). */
export const OCSF_STATUS = {
  success: { status_id: 1, status: 'Success' },
  failure: { status_id: 2, status: 'Failure' },
  unknown: { status_id: 0, status: 'Unknown' },
} as const;

/** Findings redefine `status_id` as the finding's state (finding.json): 1 New. */
export const OCSF_FINDING_NEW = { status_id: 1, status: 'New' } as const;

/** `auth_protocol_id` has no FIDO value: 99 Other with `auth_protocol` "WebAuthn". */
export const OCSF_AUTH_PROTOCOL_OTHER = 99;

/** `auth_factor.factor_type_id` 10: WebAuthn (dictionary.json `factor_type_id`). */
export const OCSF_FACTOR_WEBAUTHN = { factor_type_id: 10, factor_type: 'WebAuthn' } as const;

/** `device.type_id` 1: Server (objects/device.json). */
export const OCSF_DEVICE_SERVER = { type_id: 1, type: 'Server' } as const;

/**
 * `user.type_id` 1: User, "Regular user account" (objects/user.json). Only
 * for the account of a WebAuthn ceremony: other actors (a Kubernetes service
 * account, an operator) may be 4 Service or 2 Admin, which the envelope's
 * `user_id` does not tell, so their type is left out (it is recommended,
 * not required).
 */
export const OCSF_USER = { type_id: 1, type: 'User' } as const;

/**
 * The `user` of a WebAuthn ceremony whose event names no user: a failure
 * before the relying party knew who was signing in (an unknown credential
 * in a username-less sign-in, a malformed response) has no `user_id`, and
 * the schema has no attempted user name (`user_id` is opaque; a name is
 * never logged). Authentication (events/iam/authentication.json) and
 * Account Change (events/iam/account_change.json) require `user`, and
 * objects/user.json requires `at_least_one: [account, name, uid]`; OCSF
 * defines no value for an unknown user, only the `type_id` 0 "Unknown". So
 * `name` is a placeholder, in parentheses as no user name is written, the
 * `(unknown)` the mapper's messages already use for an unknown container;
 * `uid` stays absent, so no query by user id ever matches it.
 */
export const OCSF_USER_UNKNOWN = { type_id: 0, type: 'Unknown', name: '(unknown)' } as const;
