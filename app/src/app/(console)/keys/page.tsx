import { Card, Code, Flex, Heading, Table, Text, VisuallyHidden } from '@radix-ui/themes';
import type { Metadata } from 'next';
import { CreateKeyDialog } from '@/components/create-key-dialog';
import { EmptyState } from '@/components/notices';
import { RevokeKeyButton } from '@/components/revoke-key-button';
import { Timestamp } from '@/components/timestamp';
import { ProblemNotice } from '@/components/problem-notice';
import { loadPage } from '@/lib/api';
import { revokerText } from '@/lib/format';
import { consoleConfig } from '@/lib/config';

export const metadata: Metadata = { title: 'API keys' };

export default async function KeysPage() {
  const loaded = await loadPage((vigil) => vigil.keys.list({ includeRevoked: true }));
  if (loaded.problem) return <ProblemNotice heading="API keys" problem={loaded.problem} />;
  const items = loaded.data.filter((key) => key.revokedAt === undefined);
  const revoked = loaded.data.filter((key) => key.revokedAt !== undefined);
  return (
    <Flex direction="column" gap="4">
      <Flex justify="between" align="center" gap="3" wrap="wrap">
        <Heading as="h1" size="6">
          API keys
        </Heading>
        <CreateKeyDialog apiUrl={consoleConfig().publicApiUrl} />
      </Flex>
      <Text size="2" color="gray">
        Send a key as <Code>Authorization: Bearer vgl_…</Code>. Vigil keeps only a hash of each key, so its secret is
        shown once, when you create it. Up to 20 active keys; a revoked key stops working at once.
      </Text>
      <Card size="1">
        {items.length === 0 ? (
          <EmptyState title="No API keys" hint="Create a key to schedule webhooks from your application." />
        ) : (
          <div className="vigil-table-scroll vigil-cards">
            <Table.Root>
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Name</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Key</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Created</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Last used</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {items.map((key) => (
                  <Table.Row key={key.id} data-testid={`key-${key.id}`} align="center">
                    <Table.RowHeaderCell data-label="Name" className="vigil-wrap-anywhere">
                      {key.name}
                    </Table.RowHeaderCell>
                    <Table.Cell data-label="Key">
                      <Code variant="ghost">{key.prefix}…</Code>
                    </Table.Cell>
                    <Table.Cell data-label="Created">
                      <Timestamp iso={key.createdAt} />
                    </Table.Cell>
                    <Table.Cell data-label="Last used">
                      {key.lastUsedAt ? <Timestamp iso={key.lastUsedAt} /> : <Text color="gray">Never</Text>}
                    </Table.Cell>
                    <Table.Cell justify="end" data-actions>
                      <RevokeKeyButton id={key.id} name={key.name} prefix={key.prefix} />
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          </div>
        )}
      </Card>
      {revoked.length > 0 && (
        <Card size="1" data-testid="revoked-keys">
          <Flex direction="column" gap="2" p="2">
            <Heading as="h2" size="3">
              Revoked in the last 30 days
            </Heading>
            <Text size="2" color="gray">
              These keys no longer work. They are listed here for 30 days after they were revoked.
            </Text>
          </Flex>
          <div className="vigil-table-scroll vigil-cards">
            <Table.Root>
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Name</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Key</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Revoked</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {revoked.map((key) => (
                  <Table.Row key={key.id} data-testid={`revoked-key-${key.id}`} align="center">
                    <Table.RowHeaderCell data-label="Name" className="vigil-wrap-anywhere">
                      <Text color="gray">{key.name}</Text>
                    </Table.RowHeaderCell>
                    <Table.Cell data-label="Key">
                      <Code variant="ghost" color="gray">
                        {key.prefix}…
                      </Code>
                    </Table.Cell>
                    <Table.Cell data-label="Revoked">
                      <Text color="gray">
                        <Timestamp iso={key.revokedAt!} /> {revokerText(key, loaded.data)}
                      </Text>
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          </div>
        </Card>
      )}
    </Flex>
  );
}
