import { describe, expect, it } from 'vitest';
import { TemplateResolver } from '../../src/local/template';

const resolver = new TemplateResolver([
  {
    stackName: 'Data',
    template: {
      Resources: {
        RawBucket1: {
          Type: 'AWS::S3::Bucket',
          Properties: { BucketName: { 'Fn::Join': ['-', ['raw', { Ref: 'AWS::AccountId' }]] } },
        },
        Topic1: { Type: 'AWS::SNS::Topic' },
      },
      Outputs: { RawName: { Value: { Ref: 'RawBucket1' }, Export: { Name: 'Data:RawName' } } },
    },
  },
  {
    stackName: 'App',
    template: {
      Resources: {
        Fn1: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'probe' } },
        Queue1: { Type: 'AWS::SQS::Queue' },
      },
    },
  },
]);

describe('template resolver', () => {
  it('joins parts and pseudo parameters', () => {
    expect(resolver.physicalName('Data', 'RawBucket1')).toBe('raw-000000000000');
  });

  it('resolves Ref of a topic to its ARN and of a bucket to its name', () => {
    expect(resolver.resolve('Data', { Ref: 'Topic1' })).toBe('arn:aws:sns:us-east-1:000000000000:Data-Topic1');
    expect(resolver.resolve('Data', { Ref: 'RawBucket1' })).toBe('raw-000000000000');
  });

  it('resolves GetAtt Arn with the explicit function name', () => {
    expect(resolver.resolve('App', { 'Fn::GetAtt': ['Fn1', 'Arn'] })).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:probe',
    );
  });

  it('substitutes references, attributes and literal variables in Fn::Sub', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JS template
    expect(resolver.resolve('App', { 'Fn::Sub': ['${Fn1}/${Fn1.Arn}/${X}/${!Literal}', { X: 'x' }] })).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal Fn::Sub leaves in place
      'probe/arn:aws:lambda:us-east-1:000000000000:function:probe/x/${Literal}',
    );
  });

  it('follows an import to the exporting stack', () => {
    expect(resolver.resolve('App', { 'Fn::ImportValue': 'Data:RawName' })).toBe('raw-000000000000');
  });

  it('selects from a split list', () => {
    expect(resolver.resolve('App', { 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] })).toBe('b');
  });

  it('names an unknown resource in the error', () => {
    expect(() => resolver.resolve('App', { Ref: 'Missing' })).toThrow(/App: no resource Missing/);
  });
});
