import { describe, expect, it } from 'vitest';
import type { SessionView, StepView } from '../src/api/types';
import { progress, screenFor } from '../src/lib/wizard';

function view(over: Partial<SessionView>): SessionView {
  return { status: 'in_progress', expires_at: 0, server_time: 0, flows: [], flow_id: 'f', step_index: 0, step_count: 2, step: null, actions: [], help: {}, ...over };
}

const otp = (code_sent: boolean): StepView => ({
  method: 'sms_otp',
  contacts: [{ id: 0, masked: '+41 ••• 67' }],
  confirmed_contact: code_sent ? 0 : null,
  code_sent,
  code_length: 6,
  code_expires_at: null,
  attempts_left: code_sent ? 3 : null,
  resend_available_at: null,
  resends_left: null,
});

describe('screenFor', () => {
  it('walks the steps of a session', () => {
    expect(screenFor(null).kind).toBe('username');
    expect(screenFor(view({ status: 'choosing_flow' })).kind).toBe('flow');
    expect(screenFor(view({ step: otp(false) })).kind).toBe('contact');
    expect(screenFor(view({ step: otp(true) })).kind).toBe('code');
    expect(screenFor(view({ step: { method: 'questions', questions: [], tries_left: 3 } })).kind).toBe('questions');
    expect(screenFor(view({ step: { method: 'totp', resync_required: false, digits: 6 } })).kind).toBe('totp');
    expect(screenFor(view({ step: { method: 'totp', resync_required: true, digits: 6 } })).kind).toBe('resync');
    expect(screenFor(view({ status: 'failed' })).kind).toBe('failed');
  });

  it('opens only actions the flow permits', () => {
    const done = view({ status: 'completed', actions: ['reset_password'] });
    expect(screenFor(done).kind).toBe('actions');
    expect(screenFor(done, 'reset_password')).toEqual({ kind: 'action', action: 'reset_password' });
    expect(screenFor(done, 'emergency_code').kind).toBe('actions');
  });

  it('shows progress only while verifying', () => {
    expect(progress(view({ step_index: 1, step_count: 2 }))).toEqual({ n: 2, m: 2 });
    expect(progress(view({ status: 'completed' }))).toBeNull();
    expect(progress(null)).toBeNull();
  });
});
