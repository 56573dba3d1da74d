import { Code, DataList, Flex, Heading, Text } from '@radix-ui/themes';
import type { Metadata } from 'next';
import { NotificationEndpointsCard } from '@/components/notification-endpoints-card';
import { SectionCard } from '@/components/section-card';
import { SigningSecretCard } from '@/components/signing-secret-card';
import { TestWebhookForm } from '@/components/test-webhook-form';
import { ProblemNotice } from '@/components/problem-notice';
import { QuotaNotice } from '@/components/quota-notice';
import { loadPage } from '@/lib/api';
import { count, utcDate } from '@/lib/format';

export const metadata: Metadata = { title: 'Settings' };

export default async function SettingsPage() {
  const loaded = await loadPage((vigil) =>
    Promise.all([
      vigil.signingSecret.get(),
      vigil.usage({ from: utcDate(0), to: utcDate(0) }),
      vigil.notificationEndpoints.list().then((endpoints) =>
        Promise.all(
          endpoints.map(async (endpoint) => ({
            endpoint,
            deliveries: await vigil.notificationEndpoints.deliveries(endpoint.id),
          })),
        ),
      ),
    ]),
  );
  if (loaded.problem) return <ProblemNotice heading="Settings" problem={loaded.problem} />;
  const [{ secret }, usage, endpoints] = loaded.data;
  const { plan, monthToDate } = usage;
  return (
    <Flex direction="column" gap="4">
      <Heading as="h1" size="6">
        Settings
      </Heading>

      <SigningSecretCard secret={secret} />

      <SectionCard title="Send a test webhook">
        <Text size="2" color="gray">
          Vigil sends a small signed JSON webhook to this URL now, exactly as it sends your own, and you can follow it
          on its message page.
        </Text>
        <TestWebhookForm />
      </SectionCard>

      <NotificationEndpointsCard endpoints={endpoints} />

      <SectionCard title="Plan and limits">
        <QuotaNotice usage={usage} />
        <DataList.Root>
          <DataList.Item>
            <DataList.Label>Plan</DataList.Label>
            <DataList.Value>
              <Code variant="ghost" data-testid="plan">
                {plan.name}
              </Code>
            </DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>Messages per month</DataList.Label>
            <DataList.Value>
              {count(monthToDate.scheduled)} used of {count(plan.monthlyMessages)}
            </DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>API requests per month</DataList.Label>
            <DataList.Value>
              {count(plan.monthlyRequests)}, every request counted (reads and the console's pages too); deployed only
            </DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>Request rate</DataList.Label>
            <DataList.Value>
              {count(plan.ratePerSecond)} per second, bursts of up to {count(plan.burst)}
            </DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>History kept</DataList.Label>
            <DataList.Value>
              {count(plan.retentionDays)} days after a message is delivered, failed or cancelled
            </DataList.Value>
          </DataList.Item>
        </DataList.Root>
        <Text size="1" color="gray">
          Beyond the rate, the API answers 429 with Retry-After; beyond the monthly message quota, new messages are
          refused with 429 quota-exceeded until the month turns (UTC); beyond the request quota, every request is, on a
          deployed stack (the local stack does not count requests).
        </Text>
      </SectionCard>
    </Flex>
  );
}
