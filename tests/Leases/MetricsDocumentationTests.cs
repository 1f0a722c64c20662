using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using PinAnalyzers.Leases;
using Xunit;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

/// <summary>
/// The "Metrics" table of docs/leases.md is what dotnet-counters and OpenTelemetry users go by: it must
/// list exactly the instruments the library publishes, with their kinds, units, tags and tag values.
/// </summary>
public sealed partial class MetricsDocumentationTests
{
    private const string BudgetTag = "pinanalyzers.leases.budget";

    private sealed record DocumentedInstrument(string Name, string Kind, string Unit, Dictionary<string, string[]> Tags);

    private sealed record PublishedInstrument(string Name, string Kind, string? Unit, string? Description);

    [Fact]
    public async Task TheDocumentedInstruments_AreThePublishedOnes_WithTheirKindsUnitsAndTags()
    {
        Dictionary<string, DocumentedInstrument> documented = DocumentedInstruments();
        PinBudget budget = NewBudget(maxBytes: 8, maxLeases: 2);
        var published = new Dictionary<string, PublishedInstrument>();
        var seenTags = new Dictionary<string, Dictionary<string, HashSet<string>>>();

        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PinBudget.MeterName)
            {
                lock (published)
                {
                    published[instrument.Name] = new PublishedInstrument(instrument.Name, KindOf(instrument), instrument.Unit, instrument.Description);
                }

                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            var map = new Dictionary<string, string>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                map[tag.Key] = tag.Value?.ToString() ?? string.Empty;
            }

            if (!map.TryGetValue(BudgetTag, out string? name) || name != budget.Name)
            {
                return; // another test's budget
            }

            lock (seenTags)
            {
                if (!seenTags.TryGetValue(instrument.Name, out var byKey))
                {
                    seenTags[instrument.Name] = byKey = new Dictionary<string, HashSet<string>>();
                }

                foreach ((string key, string value) in map)
                {
                    if (!byKey.TryGetValue(key, out var values))
                    {
                        byKey[key] = values = new HashSet<string>();
                    }

                    values.Add(value);
                }
            }
        });
        listener.Start();

        // Make every instrument report every documented tag value for this budget.
        var held = PinLease<byte>.Acquire(new byte[4], budget);
        Assert.False(PinLease<byte>.TryAcquire(new byte[5], budget, out _));          // rejected: bytes
        using (PinLease<byte>.Acquire(new byte[1], budget))
        {
            Assert.False(PinLease<byte>.TryAcquire(new byte[1], budget, out _));      // rejected: leases
        }

        listener.RecordObservableInstruments();                                        // pinned_bytes, active
        Assert.False(await held.RevokeAsync(TimeSpan.Zero));                           // revocations: timed_out
        using (var cts = new CancellationTokenSource())
        {
            Task<bool> cancelled = held.RevokeAsync(Timeout.InfiniteTimeSpan, cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within()); // revocations: canceled
        }

        Task<bool> revokeAll = budget.RevokeAllAsync(Timeout.InfiniteTimeSpan);
        Assert.Throws<PinRevokedException>(() => PinLease<byte>.Acquire(new byte[1], budget)); // rejected: revoking
        held.Dispose();
        Assert.True(await revokeAll.Within());                                          // revocations: released

        Assert.Equal(documented.Keys.Order(), published.Keys.Order());
        foreach (DocumentedInstrument doc in documented.Values)
        {
            PublishedInstrument actual = published[doc.Name];
            Assert.True(doc.Kind == actual.Kind, $"{doc.Name}: documented as {doc.Kind}, published as {actual.Kind}");
            Assert.True(doc.Unit == actual.Unit, $"{doc.Name}: documented unit {doc.Unit}, published {actual.Unit}");
            Assert.False(string.IsNullOrWhiteSpace(actual.Description), $"{doc.Name} has no description");

            Assert.True(seenTags.ContainsKey(doc.Name), $"{doc.Name} reported nothing for the test's budget");
            Dictionary<string, HashSet<string>> seen = seenTags[doc.Name];
            Assert.True(
                doc.Tags.Keys.Order().SequenceEqual(seen.Keys.Order()),
                $"{doc.Name}: documented tags [{string.Join(", ", doc.Tags.Keys.Order())}], reported [{string.Join(", ", seen.Keys.Order())}]");
            foreach ((string key, string[] values) in doc.Tags.Where(t => t.Value.Length > 0))
            {
                Assert.True(
                    values.Order().SequenceEqual(seen[key].Order()),
                    $"{doc.Name}: tag {key} documented as [{string.Join(", ", values.Order())}], reported [{string.Join(", ", seen[key].Order())}]");
            }
        }
    }

    [Fact]
    public void TheDocument_ShowsTheDotnetCountersCommand_ForTheMeter()
    {
        string doc = LeaseDocs.Read("docs", "leases.md");
        Assert.Contains($"dotnet-counters monitor --counters {PinBudget.MeterName} -p <pid>", doc);
        Assert.Equal("PinAnalyzers.Leases", PinBudget.MeterName);
    }

    private static string KindOf(Instrument instrument)
    {
        Type type = instrument.GetType().GetGenericTypeDefinition();
        return type == typeof(Counter<>) ? "counter"
            : type == typeof(UpDownCounter<>) ? "up-down counter"
            : type == typeof(Histogram<>) ? "histogram"
            : type == typeof(ObservableCounter<>) ? "observable counter"
            : type == typeof(ObservableUpDownCounter<>) ? "observable up-down counter"
            : type == typeof(ObservableGauge<>) ? "observable gauge"
            : type.Name;
    }

    /// <summary>The rows of the table under "## Metrics" in docs/leases.md.</summary>
    private static Dictionary<string, DocumentedInstrument> DocumentedInstruments()
    {
        string doc = LeaseDocs.Read("docs", "leases.md");
        int start = doc.IndexOf("\n## Metrics", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/leases.md has no '## Metrics' section");
        int end = doc.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        string section = end < 0 ? doc[start..] : doc[start..end];

        var rows = new Dictionary<string, DocumentedInstrument>();
        foreach (Match row in TableRow().Matches(section))
        {
            var tags = new Dictionary<string, string[]>();
            foreach (Match tag in TagEntry().Matches(row.Groups["tags"].Value))
            {
                tags[tag.Groups["key"].Value] = tag.Groups["value"].Captures.Select(c => c.Value).ToArray();
            }

            string name = row.Groups["name"].Value;
            rows.Add(name, new DocumentedInstrument(name, row.Groups["kind"].Value.Trim(), row.Groups["unit"].Value, tags));
        }

        Assert.True(rows.Count > 0, "the metrics table of docs/leases.md could not be read");
        return rows;
    }

    // | `name` | kind | `unit` | tags | what it counts |
    [GeneratedRegex(@"^\| `(?<name>pinanalyzers\.leases\.[a-z_.]+)` \| (?<kind>[^|]+) \| `(?<unit>[^`]+)` \| (?<tags>[^|]+) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    // `key` or `key`: `v1` / `v2` / `v3`, entries separated by commas
    [GeneratedRegex(@"`(?<key>[^`]+)`(?:: `(?<value>[^`]+)`(?: / `(?<value>[^`]+)`)*)?")]
    private static partial Regex TagEntry();
}
