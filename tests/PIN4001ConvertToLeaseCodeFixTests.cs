using PinAnalyzers.CodeFixes;
using PinAnalyzers.Tests.Verifiers;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.LeaseCodeFixVerifier<PinAnalyzers.MappedViewAnalyzer, PinAnalyzers.CodeFixes.MappedViewLeaseCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN4001 "Convert to a revocable lease": a view pointer acquired into a field in the constructor and registered with
/// native code becomes a MappedViewLease in the same field.
/// </summary>
public sealed class PIN4001ConvertToLeaseCodeFixTests
{
    private const string Key = MappedViewLeaseCodeFix.EquivalenceKey;

    private const string Native = PIN4001MappedViewHandedToNativeCodeTests.Native;

    /// <summary>The shape of samples/PinDemo/PmemLog.cs.</summary>
    private static string PmemLog(string name, string path) => $$"""
        sealed unsafe class {{name}} : IDisposable
        {
            private const long Capacity = 1 << 20;

            private readonly MemoryMappedFile _file;
            private readonly MemoryMappedViewAccessor _view;
            private byte* _base;
            private long _length;

            public {{name}}()
            {
                _file = MemoryMappedFile.CreateFromFile("{{path}}", FileMode.OpenOrCreate, null, Capacity);
                _view = _file.CreateViewAccessor();
                _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
            }

            public void Append(ReadOnlySpan<byte> record)
            {
                if (_length + record.Length > Capacity)
                {
                    throw new InvalidOperationException("the log is full");
                }

                record.CopyTo(new Span<byte>(_base + _view.PointerOffset + _length, record.Length));
                _length += record.Length;
            }

            public IntPtr RegisterForRdma(IntPtr pd)
                => Rdma.ibv_reg_mr(pd, {|PIN4001:_base|}, (UIntPtr)Capacity, Rdma.IBV_ACCESS_LOCAL_WRITE);

            public void Dispose()
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
                _file.Dispose();
            }
        }

        """;

    private static string PmemLogFixed(string name, string path) => $$"""
        sealed unsafe class {{name}} : IDisposable
        {
            private const long Capacity = 1 << 20;

            private readonly MemoryMappedFile _file;
            private readonly MemoryMappedViewAccessor _view;
            private MappedViewLease _base;
            private long _length;

            public {{name}}()
            {
                _file = MemoryMappedFile.CreateFromFile("{{path}}", FileMode.OpenOrCreate, null, Capacity);
                _view = _file.CreateViewAccessor();
                var baseLease = MappedViewLease.Acquire(_view);
                baseLease.RevocationRequested.Register(() =>
                {
                    // TODO(PinLease): the owner wants the view back: stop all native use of it here (deregister it), then dispose the lease.
                    baseLease.Dispose();
                });
                _base = baseLease;
            }

            public void Append(ReadOnlySpan<byte> record)
            {
                if (_length + record.Length > Capacity)
                {
                    throw new InvalidOperationException("the log is full");
                }

                using (var scope = _base.Enter())
                {
                    record.CopyTo(new Span<byte>((byte*)scope.Address + _length, record.Length));
                }

                _length += record.Length;
            }

            public IntPtr RegisterForRdma(IntPtr pd)
                => Rdma.ibv_reg_mr(pd, (byte*)_base.Address, (UIntPtr)Capacity, Rdma.IBV_ACCESS_LOCAL_WRITE);

            public void Dispose()
            {
                _base.Dispose();
                _view.Dispose();
                _file.Dispose();
            }
        }

        """;

    private const string Usings = """
        using System;
        using System.IO;
        using System.IO.MemoryMappedFiles;

        """;

    private const string FixedUsings = """
        using System;
        using System.IO;
        using System.IO.MemoryMappedFiles;
        using PinAnalyzers.Leases;

        """;

    [Fact]
    public async Task PmemLog_AcquiredInTheConstructor_RegisteredElsewhere_BecomesAMappedViewLease()
    {
        var source = Usings + PmemLog("PmemLog", "/mnt/pmem0/log") + Native;
        var fixedSource = FixedUsings + PmemLogFixed("PmemLog", "/mnt/pmem0/log") + Native;
        await Verify.VerifyFixAsync(source, fixedSource, Key);
        await LeaseFixVerifier.AssertCleanAsync(fixedSource, "PIN4001");
    }

    [Fact]
    public async Task FixAll_TwoTypes()
    {
        var source = Usings + PmemLog("HeadLog", "/mnt/pmem0/head") + PmemLog("TailLog", "/mnt/pmem1/tail") + Native;
        var fixedSource = FixedUsings + PmemLogFixed("HeadLog", "/mnt/pmem0/head") + PmemLogFixed("TailLog", "/mnt/pmem1/tail") + Native;
        await Verify.VerifyFixAllAsync(source, fixedSource, Key, iterations: 2);
        await LeaseFixVerifier.AssertCleanAsync(fixedSource, "PIN4001");
    }

    [Fact]
    public Task LeaseLibraryNotReferenced_NoFix()
        => CodeFixVerifier<MappedViewAnalyzer, MappedViewLeaseCodeFix>.VerifyNoFixAsync(Usings + PmemLog("PmemLog", "/mnt/pmem0/log") + Native);

    [Fact]
    public Task LibpmemMapping_NoAccessorToLease_NoFix()
        => Verify.VerifyNoFixAsync(Usings + """
            sealed unsafe class PmemRegion
            {
                private byte* _base;

                public PmemRegion()
                {
                    _base = (byte*)Rdma.pmem_map_file("/mnt/pmem0/log", (UIntPtr)4096, 1, 0x180, out _, out _);
                }

                public IntPtr Register(IntPtr pd) => Rdma.ibv_reg_mr(pd, {|PIN4001:_base|}, (UIntPtr)4096, 1);
            }

            """ + Native);

    [Fact]
    public Task PointerFieldAlsoReset_NotInTheTable_NoFix()
        => Verify.VerifyNoFixAsync(Usings + PmemLog("PmemLog", "/mnt/pmem0/log").Replace(
            "_view.SafeMemoryMappedViewHandle.ReleasePointer();",
            "_view.SafeMemoryMappedViewHandle.ReleasePointer();\n        _base = null;") + Native);

    [Fact]
    public Task PointerFieldNamedInNameof_NotInTheTable_NoFix()
        => Verify.VerifyNoFixAsync(Usings + PmemLog("PmemLog", "/mnt/pmem0/log").Replace(
            "_length += record.Length;",
            "_length += record.Length;\n        Console.WriteLine(nameof(_base));") + Native);

    [Fact]
    public Task PointerFieldTestedForNull_NoFix()
        => Verify.VerifyNoFixAsync(Usings + PmemLog("PmemLog", "/mnt/pmem0/log").Replace(
            "_view.SafeMemoryMappedViewHandle.ReleasePointer();",
            "if (_base != null) _view.SafeMemoryMappedViewHandle.ReleasePointer();") + Native);

    [Fact]
    public Task AcquiredOutsideTheConstructor_NoFix()
        => Verify.VerifyNoFixAsync(Usings + """
            sealed unsafe class LazyLog
            {
                private readonly MemoryMappedViewAccessor _view = MemoryMappedFile.CreateFromFile("/mnt/pmem0/log", FileMode.OpenOrCreate, null, 4096).CreateViewAccessor();
                private byte* _base;

                public void Open() => _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);

                public IntPtr Register(IntPtr pd) => Rdma.ibv_reg_mr(pd, {|PIN4001:_base|}, (UIntPtr)4096, 1);
            }

            """ + Native);
}
