using PinAnalyzers.CodeFixes;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.MappedViewAnalyzer, PinAnalyzers.CodeFixes.AddPointerOffsetCodeFix>;

namespace PinAnalyzers.Tests;

public sealed class PIN4003AddPointerOffsetCodeFixTests
{
    private const string Key = AddPointerOffsetCodeFix.EquivalenceKey;

    [Fact]
    public Task AddsPointerOffsetAfterAcquirePointer()
        => Verify.VerifyFixAsync("""
            using System.IO.MemoryMappedFiles;

            static unsafe class Reader
            {
                public static int Read(MemoryMappedFile file, long offset)
                {
                    using var view = file.CreateViewAccessor(offset, 4096);
                    byte* p = null;
                    {|PIN4003:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    try { return *p; }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }
            }
            """, """
            using System.IO.MemoryMappedFiles;

            static unsafe class Reader
            {
                public static int Read(MemoryMappedFile file, long offset)
                {
                    using var view = file.CreateViewAccessor(offset, 4096);
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    p += view.PointerOffset;
                    try { return *p; }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }
            }
            """, Key);

    [Fact]
    public Task HandleLocalAndPointerField_ViewStream()
        => Verify.VerifyFixAsync("""
            using System;
            using System.IO.MemoryMappedFiles;

            sealed unsafe class Records : IDisposable
            {
                private readonly MemoryMappedViewStream _view;
                private byte* _base;

                public Records(MemoryMappedFile file)
                {
                    _view = file.CreateViewStream(4096, 1 << 20);
                    {|PIN4003:_view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base)|};
                }

                public static int Peek(MemoryMappedFile file, long offset)
                {
                    using var view = file.CreateViewStream(offset, 16);
                    var handle = view.SafeMemoryMappedViewHandle;
                    byte* p = null;
                    {|PIN4003:handle.AcquirePointer(ref p)|};
                    try { return *p; }
                    finally { handle.ReleasePointer(); }
                }

                public void Dispose() => _view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
            """, """
            using System;
            using System.IO.MemoryMappedFiles;

            sealed unsafe class Records : IDisposable
            {
                private readonly MemoryMappedViewStream _view;
                private byte* _base;

                public Records(MemoryMappedFile file)
                {
                    _view = file.CreateViewStream(4096, 1 << 20);
                    _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
                    _base += _view.PointerOffset;
                }

                public static int Peek(MemoryMappedFile file, long offset)
                {
                    using var view = file.CreateViewStream(offset, 16);
                    var handle = view.SafeMemoryMappedViewHandle;
                    byte* p = null;
                    handle.AcquirePointer(ref p);
                    p += view.PointerOffset;
                    try { return *p; }
                    finally { handle.ReleasePointer(); }
                }

                public void Dispose() => _view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
            """, Key);

    [Fact]
    public Task FixAll_TwoMethods()
        => Verify.VerifyFixAllAsync("""
            using System.IO.MemoryMappedFiles;

            static unsafe class Reader
            {
                public static int A(MemoryMappedFile file, long a)
                {
                    using var view = file.CreateViewAccessor(a, 16);
                    byte* p = null;
                    {|PIN4003:view.SafeMemoryMappedViewHandle.AcquirePointer(ref p)|};
                    try { return *p; }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }

                public static int B(MemoryMappedFile file, long b)
                {
                    using var view = file.CreateViewStream(b, 16);
                    byte* q = null;
                    {|PIN4003:view.SafeMemoryMappedViewHandle.AcquirePointer(ref q)|};
                    try { return *q; }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }
            }
            """, """
            using System.IO.MemoryMappedFiles;

            static unsafe class Reader
            {
                public static int A(MemoryMappedFile file, long a)
                {
                    using var view = file.CreateViewAccessor(a, 16);
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    p += view.PointerOffset;
                    try { return *p; }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }

                public static int B(MemoryMappedFile file, long b)
                {
                    using var view = file.CreateViewStream(b, 16);
                    byte* q = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref q);
                    q += view.PointerOffset;
                    try { return *q; }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }
            }
            """, """
            using System.IO.MemoryMappedFiles;

            static unsafe class Reader
            {
                public static int A(MemoryMappedFile file, long a)
                {
                    using var view = file.CreateViewAccessor(a, 16);
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    p += view.PointerOffset;
                    try { return *p; }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }

                public static int B(MemoryMappedFile file, long b)
                {
                    using var view = file.CreateViewStream(b, 16);
                    byte* q = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref q);
                    q += view.PointerOffset;
                    try { return *q; }
                    finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
                }
            }
            """, Key, iterations: 2);

    [Fact]
    public Task AcquireInAnExpressionBody_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.IO.MemoryMappedFiles;

            sealed unsafe class Reader
            {
                private byte* _p;

                public void Acquire(MemoryMappedFile file) => {|PIN4003:file.CreateViewAccessor(4096, 16).SafeMemoryMappedViewHandle.AcquirePointer(ref _p)|};
            }
            """);
}
