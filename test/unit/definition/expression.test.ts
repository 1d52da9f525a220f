import { describe, expect, it } from 'vitest';
import {
  ExpressionSyntaxError,
  evaluateExpression,
  expressionMeasures,
  parseExpression,
} from '../../../src/domain/definition/expression';

describe('arithmetic expressions', () => {
  it('multiply and divide before they add and subtract', () => {
    expect(evaluateExpression(parseExpression('1 + 2 * 3 - 4 / 2'), {})).toEqual({ value: 5, reason: null });
  });

  it('follow parentheses and unary minus', () => {
    expect(evaluateExpression(parseExpression('-(a - b) * 2'), { a: 1, b: 4 })).toEqual({ value: 6, reason: null });
  });

  it('list the measures they use once each, in order', () => {
    expect(expressionMeasures(parseExpression('(revenue - spend) / spend'))).toEqual(['revenue', 'spend']);
  });

  it('give null with the reason on a division by zero', () => {
    expect(evaluateExpression(parseExpression('a / (b - b)'), { a: 1, b: 2 })).toEqual({
      value: null,
      reason: 'division by zero: b - b is 0',
    });
  });

  it('give null when a measure has no value', () => {
    expect(evaluateExpression(parseExpression('a + 1'), { a: null }).value).toBeNull();
  });

  it('report where a syntax error is', () => {
    expect(() => parseExpression('(a + b')).toThrow(new ExpressionSyntaxError('expected ")"', 6));
    expect(() => parseExpression('a $ b')).toThrow('unexpected character "$" at character 3');
  });
});
