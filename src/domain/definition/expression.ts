// Domain: the arithmetic expressions of `arithmetic` KPIs, e.g. `(revenue - spend) / spend`.

/** A parsed arithmetic expression over named measures and numeric constants. */
export type Expression =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'measure'; readonly name: string }
  | { readonly kind: 'negate'; readonly operand: Expression }
  | {
      readonly kind: 'binary';
      readonly operator: '+' | '-' | '*' | '/';
      readonly left: Expression;
      readonly right: Expression;
    };

/** Why an expression could not be parsed, with the 0-based character offset of the problem. */
export class ExpressionSyntaxError extends Error {
  override readonly name = 'ExpressionSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at character ${offset + 1}`);
  }
}

type Token =
  | { kind: 'number'; value: number; offset: number }
  | { kind: 'name'; name: string; offset: number }
  | { kind: 'symbol'; symbol: string; offset: number }
  | { kind: 'end'; offset: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/()])/y;
  let offset = 0;
  while (offset < text.length) {
    if (/\s/.test(text[offset] as string)) {
      offset += 1;
      continue;
    }
    pattern.lastIndex = offset;
    const match = pattern.exec(text);
    if (!match) throw new ExpressionSyntaxError(`unexpected character "${text[offset]}"`, offset);
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]), offset });
    else if (match[2] !== undefined) tokens.push({ kind: 'name', name: match[2], offset });
    else tokens.push({ kind: 'symbol', symbol: match[3] as string, offset });
    offset = pattern.lastIndex;
  }
  tokens.push({ kind: 'end', offset: text.length });
  return tokens;
}

/**
 * Parses `+ - * /`, unary minus, parentheses, numbers and measure names, with the usual precedence.
 * @throws ExpressionSyntaxError
 * @example parseExpression('(revenue - spend) / spend')
 */
export function parseExpression(text: string): Expression {
  const tokens = tokenize(text);
  let position = 0;
  const peek = (): Token => tokens[position] as Token;
  const isSymbol = (symbol: string): boolean => {
    const token = peek();
    return token.kind === 'symbol' && token.symbol === symbol;
  };

  const primary = (): Expression => {
    const token = peek();
    if (token.kind === 'number') {
      position += 1;
      return { kind: 'number', value: token.value };
    }
    if (token.kind === 'name') {
      position += 1;
      return { kind: 'measure', name: token.name };
    }
    if (token.kind === 'symbol' && token.symbol === '(') {
      position += 1;
      const inner = sum();
      if (!isSymbol(')')) throw new ExpressionSyntaxError('expected ")"', peek().offset);
      position += 1;
      return inner;
    }
    if (token.kind === 'symbol' && token.symbol === '-') {
      position += 1;
      return { kind: 'negate', operand: primary() };
    }
    if (token.kind === 'end') throw new ExpressionSyntaxError('unexpected end of expression', token.offset);
    throw new ExpressionSyntaxError(`unexpected "${token.kind === 'symbol' ? token.symbol : ''}"`, token.offset);
  };
  const product = (): Expression => {
    let left = primary();
    while (isSymbol('*') || isSymbol('/')) {
      const operator = (peek() as { symbol: '*' | '/' }).symbol;
      position += 1;
      left = { kind: 'binary', operator, left, right: primary() };
    }
    return left;
  };
  const sum = (): Expression => {
    let left = product();
    while (isSymbol('+') || isSymbol('-')) {
      const operator = (peek() as { symbol: '+' | '-' }).symbol;
      position += 1;
      left = { kind: 'binary', operator, left, right: product() };
    }
    return left;
  };

  const expression = sum();
  const rest = peek();
  if (rest.kind !== 'end') throw new ExpressionSyntaxError('unexpected text after the expression', rest.offset);
  return expression;
}

/** Names of the measures an expression uses, in order of first use. */
export function expressionMeasures(expression: Expression): string[] {
  const names: string[] = [];
  const visit = (node: Expression): void => {
    if (node.kind === 'measure') {
      if (!names.includes(node.name)) names.push(node.name);
    } else if (node.kind === 'negate') visit(node.operand);
    else if (node.kind === 'binary') {
      visit(node.left);
      visit(node.right);
    }
  };
  visit(expression);
  return names;
}

/** The result of evaluating an expression: a finite number, or null with the reason. */
export type EvaluationResult = { value: number; reason: null } | { value: null; reason: string };

/** Evaluates with measure values; a null measure or a division by zero gives null with its reason. */
export function evaluateExpression(
  expression: Expression,
  measures: Readonly<Record<string, number | null>>,
): EvaluationResult {
  switch (expression.kind) {
    case 'number':
      return { value: expression.value, reason: null };
    case 'measure': {
      const value = measures[expression.name];
      if (value === null || value === undefined) return { value: null, reason: `${expression.name} has no value` };
      return { value, reason: null };
    }
    case 'negate': {
      const operand = evaluateExpression(expression.operand, measures);
      return operand.value === null ? operand : { value: -operand.value, reason: null };
    }
    case 'binary': {
      const left = evaluateExpression(expression.left, measures);
      if (left.value === null) return left;
      const right = evaluateExpression(expression.right, measures);
      if (right.value === null) return right;
      switch (expression.operator) {
        case '+':
          return { value: left.value + right.value, reason: null };
        case '-':
          return { value: left.value - right.value, reason: null };
        case '*':
          return { value: left.value * right.value, reason: null };
        case '/':
          if (right.value === 0)
            return { value: null, reason: `division by zero: ${formatExpression(expression.right)} is 0` };
          return { value: left.value / right.value, reason: null };
      }
    }
  }
}

/** The expression written back as text, fully parenthesised where it nests. */
export function formatExpression(expression: Expression): string {
  switch (expression.kind) {
    case 'number':
      return String(expression.value);
    case 'measure':
      return expression.name;
    case 'negate':
      return `-${formatExpression(expression.operand)}`;
    case 'binary': {
      const wrap = (node: Expression) =>
        node.kind === 'binary' ? `(${formatExpression(node)})` : formatExpression(node);
      return `${wrap(expression.left)} ${expression.operator} ${wrap(expression.right)}`;
    }
  }
}
