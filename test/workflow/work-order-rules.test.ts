import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { assertAllowed, checkComplete, DEFAULT_CATEGORIES, parseCategories, type OrderState } from '../../src/workflow/work-order-rules.js';

describe('work order categories (WORK_ORDER_CATEGORIES)', () => {
  it('parses id[+field...], always with complaint', () => {
    expect(parseCategories('repair+address, consultation')).toEqual([
      { id: 'repair', requires: ['callerName', 'contactNumber', 'need', 'address'] },
      { id: 'consultation', requires: ['callerName', 'contactNumber', 'need'] },
      { id: 'complaint', requires: ['callerName', 'contactNumber', 'need'] },
    ]);
    expect(parseCategories(DEFAULT_CATEGORIES).map((c) => c.id)).toEqual(['repair', 'consultation', 'help', 'suggestion', 'complaint']);
  });

  it.each([
    ['Repair', 'the id must be lower-case'],
    ['repair+colour', 'unknown field "colour"'],
    ['repair,repair', 'listed twice'],
    ['+address', 'the id must be'],
  ])('refuses %j naming the variable: %s', (spec, why) => {
    const err = (() => {
      try {
        parseCategories(spec);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).field).toBe('WORK_ORDER_CATEGORIES');
    expect((err as Error).message).toContain(why);
  });
});

describe('as complete as possible (§7): the first missing field, named as the API has it', () => {
  const cats = parseCategories(DEFAULT_CATEGORIES);
  const full = { callerName: 'Zhang', address: '1 Chang An Ave', contactNumber: '13800000001', need: 'no water' };
  it.each([
    ['repair', { ...full, address: undefined }, 'body.address'],
    ['repair', { ...full, address: '   ' }, 'body.address'],
    ['complaint', { ...full, callerName: '' }, 'body.callerName'],
    ['consultation', { ...full, need: undefined }, 'body.need'],
    ['consultation', { ...full, contactNumber: undefined }, 'body.contactNumber'],
    ['nonsense', full, 'body.category'],
  ])('%s without it → %s', (category, fields, field) => {
    expect(() => checkComplete(cats, category, fields)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field }));
  });
  it('a consultation needs no address; a repair with every field passes', () => {
    expect(checkComplete(cats, 'consultation', { ...full, address: undefined }).id).toBe('consultation');
    expect(checkComplete(cats, 'repair', full).id).toBe('repair');
  });
});

describe('status rules', () => {
  const o = (status: OrderState['status'], category = 'repair', answeredAt: number | null = null): OrderState => ({ id: '7', category, status, answeredAt });
  it.each([
    ['open', 'dispatch', true],
    ['dispatched', 'dispatch', true],
    ['accepted', 'dispatch', false],
    ['open', 'accept', false],
    ['dispatched', 'accept', true],
    ['accepted', 'accept', false],
    ['open', 'answer', true],
    ['answered', 'answer', true],
    ['open', 'close', true],
    ['closed', 'answer', false],
    ['closed', 'close', false],
  ] as const)('%s: %s allowed = %s', (status, action, ok) => {
    const run = () => assertAllowed(o(status), action);
    if (ok) expect(run).not.toThrow();
    else expect(run).toThrow(expect.objectContaining({ code: 'WORK_ORDER_BAD_STATE' }));
  });
  it('a complaint closes only answered and with the caller satisfied', () => {
    expect(() => assertAllowed(o('open', 'complaint'), 'close', { callerSatisfied: true })).toThrow(expect.objectContaining({ code: 'WORK_ORDER_BAD_STATE' }));
    expect(() => assertAllowed(o('answered', 'complaint', 1), 'close')).toThrow(expect.objectContaining({ field: 'body.callerSatisfied' }));
    expect(() => assertAllowed(o('answered', 'complaint', 1), 'close', { callerSatisfied: false })).toThrow(expect.objectContaining({ code: 'COMPLAINT_NOT_SATISFIED' }));
    expect(() => assertAllowed(o('answered', 'complaint', 1), 'close', { callerSatisfied: true })).not.toThrow();
  });
});
