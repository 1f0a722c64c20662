using System;
using System.Linq;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using PinAnalyzers.Leases;

namespace PinAnalyzers.LeaseBench;

/// <summary>
/// The access path: what one use of pinned memory costs with a lease scope, compared with the two
/// things it replaces — a <c>fixed</c> block (the cheapest pin there is, but it cannot outlive the
/// method) and a pinned <see cref="GCHandle"/> taken and freed around the use.
/// Every variant touches one byte so none is optimised away.
/// </summary>
[MemoryDiagnoser]
public unsafe class AccessPathBenchmarks
{
    private byte[] _array = null!;
    private PinLease<byte> _lease = null!;

    [GlobalSetup]
    public void Setup()
    {
        _array = new byte[4096];
        _lease = PinLease<byte>.Acquire(new byte[4096], new PinBudget("bench", 1 << 20));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _lease.Dispose();
    }

    [Benchmark(Baseline = true, Description = "fixed (byte* p = array)")]
    public byte Fixed()
    {
        fixed (byte* p = _array)
        {
            return ++p[17];
        }
    }

    [Benchmark(Description = "lease.Enter() + scope.Dispose()")]
    public byte LeaseScope()
    {
        using PinScope<byte> scope = _lease.Enter();
        byte* p = (byte*)scope.Address;
        return ++p[17];
    }

    [Benchmark(Description = "lease.TryEnter() + scope.Dispose()")]
    public byte LeaseTryEnter()
    {
        if (!_lease.TryEnter(out PinScope<byte> scope))
        {
            return 0;
        }

        using (scope)
        {
            return ++scope.Span[17];
        }
    }

    [Benchmark(Description = "GCHandle.Alloc(Pinned) + Free()")]
    public byte GCHandlePair()
    {
        GCHandle handle = GCHandle.Alloc(_array, GCHandleType.Pinned);
        try
        {
            byte* p = (byte*)handle.AddrOfPinnedObject();
            return ++p[17];
        }
        finally
        {
            handle.Free();
        }
    }
}

public static class Program
{
    public static int Main(string[] args)
    {
        bool quick = args.Contains("--quick");
        string[] rest = args.Where(a => a != "--quick").ToArray();
        // Keep BenchmarkDotNet's reports next to this project, wherever it is run from.
        string artifacts = System.IO.Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "BenchmarkDotNet.Artifacts");
        IConfig config = DefaultConfig.Instance
            .WithArtifactsPath(System.IO.Path.GetFullPath(artifacts))
            .AddJob(quick ? Job.ShortRun : Job.Default);
        var summary = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(
            rest.Length == 0 ? ["--filter", "*"] : rest,
            config);
        return summary.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
