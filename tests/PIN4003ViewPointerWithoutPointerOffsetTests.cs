using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MappedViewAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>PIN4003: AcquirePointer on a view created at an offset that is not the constant 0, without PointerOffset.</summary>
public sealed class PIN4003ViewPointerWithoutPointerOffsetTests
{
    private static string Method(string body) => $$"""
        using System;
        using System.IO;
        using System.IO.MemoryMappedFiles;

        static unsafe class Reader
        {
            private const long HeaderSize = 4096;

            public static int Read(MemoryMappedFile file, long offset)
            {
                {{body}}
            }
        }
        """;

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult At0(string offset, string view = "view")
        => Verify.Diagnostic("PIN4003").WithLocation(0).WithArguments(offset, view);

    private const string Released = """
        try { return *p; }
                finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
        """;

    [Fact]
    public Task VariableOffset()
        => Verify.VerifyAsync(Method($$"""
            using var view = file.CreateViewAccessor(offset, 4096);
                    byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    {{Released}}
            """), At0("offset"));

    [Fact]
    public Task ConstantNonZeroOffset_ViewStream()
        => Verify.VerifyAsync(Method($$"""
            using var view = file.CreateViewStream(HeaderSize, 4096, MemoryMappedFileAccess.Read);
                    byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    {{Released}}
            """), At0("HeaderSize"));

    [Fact]
    public Task NamedOffsetArgument()
        => Verify.VerifyAsync(Method($$"""
            using var view = file.CreateViewAccessor(size: 4096, offset: 100);
                    byte* p = null;
                    {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    {{Released}}
            """), At0("100"));

    [Fact]
    public Task PointerOffsetAdded_NotReported()
        => Verify.VerifyAsync(Method($$"""
            using var view = file.CreateViewAccessor(offset, 4096);
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    p += view.PointerOffset;
                    {{Released}}
            """));

    [Fact]
    public Task ZeroOffset_NotReported()
        => Verify.VerifyAsync(Method($$"""
            using var view = file.CreateViewAccessor(0, 4096);
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    {{Released}}
            """));

    [Fact]
    public Task NoOffset_NotReported()
        => Verify.VerifyAsync(Method($$"""
            using var view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    {{Released}}
            """));

    [Fact]
    public Task ViewFromParameter_NotReported()
        => Verify.VerifyAsync("""
            using System.IO.MemoryMappedFiles;

            static unsafe class Reader
            {
                public static int Read(MemoryMappedViewAccessor view)
                {
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try { return *p; }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }
            }
            """);

    [Fact]
    public Task HandleLocal_ViewAtOffset()
        => Verify.VerifyAsync(Method($$"""
            using var view = file.CreateViewAccessor(offset, 4096);
                    var handle = view.SafeMemoryMappedViewHandle;
                    byte* p = null;
                    {|#0:handle.AcquirePointer(ref p)|};
                    try { return *p; }
                    finally { handle.ReleasePointer(); }
            """), At0("offset", "the view"));

    [Fact]
    public Task OneViewAtOffsetOneNot_OnlyTheOffsetOneReported()
        => Verify.VerifyAsync(Method("""
            using var head = file.CreateViewAccessor(0, 4096);
                    using var view = file.CreateViewAccessor(offset, 4096);
                    byte* p = null;
                    byte* q = null;
                    head.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try
                    {
                        {|#0:view.SafeMemoryMappedViewHandle.AcquirePointer(ref q)|};
                        try { return *p + *q; }
                        finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                    }
                    finally
                    {
                        head.SafeMemoryMappedViewHandle.ReleasePointer();
                    }
            """), At0("offset"));

    [Fact]
    public Task ViewFieldAtOffset_PointerKeptInField()
        => Verify.VerifyAsync("""
            using System;
            using System.IO.MemoryMappedFiles;

            sealed unsafe class Records : IDisposable
            {
                private readonly MemoryMappedViewAccessor _view;
                private readonly MemoryMappedViewAccessor _aligned;
                private byte* _base;
                private byte* _alignedBase;

                public Records(MemoryMappedFile file, long offset)
                {
                    _view = file.CreateViewAccessor(offset, 1 << 20);
                    {|#0:_view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base)|};
                    _aligned = file.CreateViewAccessor();
                    _aligned.SafeMemoryMappedViewHandle.AcquirePointer(ref _alignedBase);
                }

                public void Dispose()
                {
                    _view.SafeMemoryMappedViewHandle.ReleasePointer();
                    _aligned.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
            """, At0("offset", "_view"));

    [Fact]
    public Task ViewFieldAtOffset_TypeAddsPointerOffsetElsewhere_NotReported()
        => Verify.VerifyAsync("""
            using System;
            using System.IO.MemoryMappedFiles;

            sealed unsafe class Records : IDisposable
            {
                private readonly MemoryMappedViewAccessor _view;
                private byte* _base;

                public Records(MemoryMappedFile file, long offset)
                {
                    _view = file.CreateViewAccessor(offset, 1 << 20);
                    _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
                }

                private byte* Start => _base + _view.PointerOffset;

                public void Dispose() => _view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
            """);

    [Fact]
    public Task ViewAssignedTwice_OneAtZero_NotReported()
        => Verify.VerifyAsync(Method("""
            var view = file.CreateViewAccessor(offset, 4096);
                    if (offset == 0) view = file.CreateViewAccessor();
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try { return *p; }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); view.Dispose(); }
            """));

    [Fact]
    public Task BrokenCode_NoCrash()
        => Verify.VerifyNoCrashAsync("""
            using System.IO.MemoryMappedFiles;

            static unsafe class Reader
            {
                public static int Read(MemoryMappedFile file, long offset)
                {
                    using var view = file.CreateViewAccessor(offset, 
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p
            """);
}
