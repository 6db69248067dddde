# progress.sh: train-charrnn's live progress line on a terminal (tmux, on a private server) fits
# the terminal's width, so that it is redrawn in place instead of wrapping onto new lines.
. tests/cli/lib.sh

P="--hidden 32 --layers 1 --seq-len 16 --batch 8 --threads 2 --eval-every 20 --time 3"

# the pane while a run trains in a terminal of $1 columns; fails if more than one progress line
# is seen at once (a line that wrapped), or if none with the text $2 is seen
fits_in() {
    cols=$1 want=$2 seen=0 worst=0
    look() {
        lines=$(grep -c '\[[#.]*\] *[0-9]*%' "$work/pane")
        [ "$lines" -gt "$worst" ] && worst=$lines && cp "$work/pane" "$work/worst"
        [ "$lines" -ge 1 ] && grep '\[[#.]*\] *[0-9]*%' "$work/pane" | grep -q -- "$want" && seen=1
    }
    in_tmux "progress-$cols" "$cols" 20 200 \
        "train-charrnn $P -o '$work/t$cols.ckpt' $CORPUS" look || # at most 20 s
        fail "the run did not end in $cols columns: $(cat "$work/pane")"
    [ $seen -eq 1 ] || fail "no progress line with '$want' in $cols columns: $(cat "$work/pane")"
    [ "$worst" -le 1 ] || fail "$worst progress lines at once in $cols columns (the line wrapped): $(cat "$work/worst")"
}

if ! command -v tmux > /dev/null 2>&1; then
    skip progress_fits_80_columns "tmux is not installed"
    skip progress_fits_50_columns "tmux is not installed"
else
    begin progress_fits_80_columns
    fits_in 80 '^epoch [0-9.]* \[.* val [0-9.]*  [0-9]* chars/s  [0-9:?]* left$'
    end

    begin progress_fits_50_columns
    fits_in 50 '^\[.*  loss [0-9.]*  [0-9:?]* left$'
    end
fi
