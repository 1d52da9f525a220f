// AWS adapter: annotations in the definitions table, beside the definitions they qualify
// (`ANNOTATIONS` / `<id>`): one Query reads them all, which is what every computation needs.
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Annotation, annotationSchema } from '../../domain/evaluation/drift/annotations';
import type { AnnotationStore } from '../../ports/annotation-store';
import { queryAll } from './dynamo-query';

export class DynamoAnnotationStore implements AnnotationStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(annotation: Annotation): Promise<void> {
    const valid = annotationSchema.parse(annotation);
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: 'ANNOTATIONS', sk: valid.id, annotation: valid } }),
    );
  }

  async list(): Promise<Annotation[]> {
    const annotations: Annotation[] = [];
    for (const item of await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'ANNOTATIONS' },
    }))
      annotations.push(annotationSchema.parse(item.annotation));
    return annotations;
  }
}
