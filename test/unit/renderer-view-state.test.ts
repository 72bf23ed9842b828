import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_COLUMNS, parseHeaderFilter, parseViewState, serializeViewState, type ViewState } from '../../src/renderer/src/state/view-state.ts';

// The view state lives in the URL so a reload (or a shared link) restores it.

test('a full view state survives the URL round trip', () => {
  const s: ViewState = {
    sessionId: 'a1b2c3d4',
    view: 'conversations',
    filter: {
      destinations: ['orders', 'mail → order.shipped'],
      transports: ['kafka', 'amqp'],
      events: ['publish'],
      fromTime: 1_700_000_000_123,
      toTime: 1_700_000_009_999,
      correlationId: 'quote-1',
      key: 'k&3=?',
      header: { name: 'x-client', value: 'a=b' },
      text: 'needle with spaces',
    },
    selectedSeq: 42,
    detailOpen: true,
    columns: ['seq', 'time', 'preview'],
  };
  assert.deepEqual(parseViewState(serializeViewState(s)), s);
});

test('defaults stay out of the URL, and junk in it is ignored', () => {
  assert.equal(serializeViewState({ sessionId: null, view: 'messages', filter: {}, selectedSeq: null, detailOpen: false, columns: DEFAULT_COLUMNS }), '');
  const s = parseViewState('?view=nope&transport=smtp&event=publish&from=abc&seq=-3&cols=bogus&detail=1');
  assert.equal(s.view, 'messages');
  assert.deepEqual(s.filter, { events: ['publish'] });
  assert.equal(s.selectedSeq, null);
  assert.equal(s.detailOpen, false);
  assert.deepEqual(s.columns, DEFAULT_COLUMNS);
});

test('the header filter reads name or name=value', () => {
  assert.deepEqual(parseHeaderFilter(' tenant '), { name: 'tenant' });
  assert.deepEqual(parseHeaderFilter('tenant=acme=1'), { name: 'tenant', value: 'acme=1' });
  assert.deepEqual(parseHeaderFilter('tenant='), { name: 'tenant', value: '' });
  assert.equal(parseHeaderFilter('=x'), undefined);
  assert.equal(parseHeaderFilter('  '), undefined);
});
